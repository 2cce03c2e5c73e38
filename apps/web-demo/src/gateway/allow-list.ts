/**
 * Which FTP servers the gateway may connect to. The gateway is a relay that runs on the
 * user's machine: without a list, any page that can reach it could make it open TCP
 * connections anywhere (a port scanner or a bounce relay). So every connect is checked
 * against explicit `host:port` rules; the default is the bundled server only.
 */
import { isIP } from "node:net";
import { safeNormalizeIp } from "@ftpkit/protocol";

export interface AllowRule {
  /** Lower-case host name, or a normalized IP address (no brackets). */
  readonly host: string;
  /** undefined: any port (`host:*`). */
  readonly port: number | undefined;
}

/** Lower-cases names and normalizes IP addresses (`::ffff:127.0.0.1` is `127.0.0.1`). */
export function normalizeHost(host: string): string {
  const bare = host.trim().replace(/^\[(.*)\]$/, "$1");
  if (isIP(bare) !== 0) {
    const ip = safeNormalizeIp(bare);
    if (ip.success) return ip.value;
  }
  return bare.toLowerCase().replace(/\.$/, "");
}

/**
 * Parses `host:port`, `[v6]:port` or `host:*`.
 * @throws TypeError for anything else (a rule without a port is refused: say `*` on purpose).
 */
export function parseAllowRule(text: string): AllowRule {
  const match = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\*|\d{1,5})$/.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  const port = match?.[3];
  if (match === null || host === undefined || port === undefined) {
    throw new TypeError(`not an allow rule (host:port, [v6]:port or host:*): ${JSON.stringify(text)}`);
  }
  const number = port === "*" ? undefined : Number(port);
  if (number !== undefined && (number < 1 || number > 65535)) throw new TypeError(`port out of range in ${text}`);
  return { host: normalizeHost(host), port: number };
}

export function formatAllowRule(rule: AllowRule): string {
  const host = rule.host.includes(":") ? `[${rule.host}]` : rule.host;
  return `${host}:${rule.port ?? "*"}`;
}

/** True when `host:port` matches a rule exactly (names are not resolved: `localhost` is not `127.0.0.1`). */
export function isAllowed(rules: readonly AllowRule[], host: string, port: number): boolean {
  const h = normalizeHost(host);
  return rules.some((r) => r.host === h && (r.port === undefined || r.port === port));
}
