import { BlockList, isIPv4, isIPv6 } from "node:net";
import { safeNormalizeIp } from "@ftpkit/protocol";

/**
 * One entry of `proxyProtocol.trustedProxies`: an address (`127.0.0.1`, `::1`) or a CIDR block
 * (`10.0.0.0/8`, `fd00::/8`).
 * @returns the family, the network address and the prefix length, or undefined when `text` is neither.
 * @internal
 */
export function parseTrustedProxy(text: string): { family: 4 | 6; address: string; prefix: number } | undefined {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIPv4(address) ? 4 : isIPv6(address) && !address.includes("%") ? 6 : undefined;
  if (family === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  if (slash < 0) return { family, address, prefix: max };
  const bits = text.slice(slash + 1);
  if (!/^(?:0|[1-9][0-9]{0,2})$/.test(bits) || Number(bits) > max) return undefined;
  return { family, address, prefix: Number(bits) };
}

/**
 * The load balancers allowed to send a PROXY protocol header (HAProxy's proxy-protocol.txt §5:
 * "the receiver must be configured to only receive the protocol from trusted sources", or any
 * client could claim any address). IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`, as a dual-stack
 * listener reports IPv4 clients) match their IPv4 form.
 * @internal
 */
export class TrustedProxies {
  private readonly list = new BlockList();

  /** @throws Error for an entry that is not an address or a CIDR block (options validation catches it first). */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const parsed = parseTrustedProxy(entry);
      if (parsed === undefined) throw new Error(`not an address or CIDR block: ${JSON.stringify(entry)}`);
      const type = parsed.family === 4 ? "ipv4" : "ipv6";
      this.list.addSubnet(parsed.address, parsed.prefix, type);
    }
  }

  /** Whether a connection from `remoteAddress` (as a socket reports it) comes from a trusted proxy. */
  has(remoteAddress: string | undefined): boolean {
    if (remoteAddress === undefined) return false;
    const ip = safeNormalizeIp(remoteAddress);
    if (!ip.success || ip.value.includes("%")) return false;
    return this.list.check(ip.value, isIPv4(ip.value) ? "ipv4" : "ipv6");
  }
}
