import { EventEmitter } from "node:events";
import { BlockList, isIP } from "node:net";
import { normalizeIp } from "@ftpkit/protocol";
import { z } from "zod";
import { type BanRecord, type DefenderStore, MemoryDefenderStore } from "./defender-store.js";

/**
 * The defender scores what each remote address does wrong and bans an address whose score
 * passes a threshold within an observation window, for a ban time that grows with each
 * new ban (as SFTPGo's defender does). Time is an input (`now`), so tests need no clock.
 */

/**
 * Misbehaviour the server reports:
 * - `login-failed`: a wrong user name or password;
 * - `protocol-error`: a malformed command line (syntax, NUL, over-long, binary garbage; an
 *   unknown verb only before login);
 * - `bounce-refused`: a PORT/EPRT refused by the bounce check (RFC 2577 §3);
 * - `data-peer-refused`: a connection to a passive data port from an address that is not the
 *   control connection's peer (RFC 2577 §8, data-connection theft); scored for that address;
 * - `over-limit`: a connection over `maxConnectionsPerIp`, a login over an account's
 *   `maxSessions`, a session closed for a command flood;
 * - `no-login`: a session that ended without logging in or trying to (login timeout, a slow
 *   line, a dropped connection; not a polite QUIT, so that monitoring probes score nothing).
 */
export type OffenceKind =
  | "login-failed"
  | "protocol-error"
  | "bounce-refused"
  | "data-peer-refused"
  | "over-limit"
  | "no-login";

/** Loopback, never banned unless the allow-list says otherwise (fail2ban's `ignoreip` default). */
export const DEFAULT_ALLOW_LIST: readonly string[] = Object.freeze(["127.0.0.0/8", "::1"]);

/** An IP address, or a CIDR range `address/prefix`. */
function isAddressOrRange(entry: string): boolean {
  const [address, prefix, extra] = entry.split("/");
  if (extra !== undefined) return false;
  const family = isIP(canonical(address ?? ""));
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

export const defenderOptionsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Score at which an address is banned. */
    threshold: z.number().positive().default(15),
    /** Points per offence. */
    scores: z
      .object({
        "login-failed": z.number().nonnegative().default(2),
        "protocol-error": z.number().nonnegative().default(1),
        "bounce-refused": z.number().nonnegative().default(5),
        "data-peer-refused": z.number().nonnegative().default(5),
        "over-limit": z.number().nonnegative().default(3),
        "no-login": z.number().nonnegative().default(1),
      })
      .strict()
      .default({
        "login-failed": 2,
        "protocol-error": 1,
        "bounce-refused": 5,
        "data-peer-refused": 5,
        "over-limit": 3,
        "no-login": 1,
      }),
    /** Scores older than this no longer count (ms, default 30 min). */
    observationWindow: z
      .number()
      .int()
      .positive()
      .default(30 * 60_000),
    /** First ban length (ms, default 30 min). */
    banTime: z
      .number()
      .int()
      .positive()
      .default(30 * 60_000),
    /** Each further ban of the same address lasts this many times longer (default 2). */
    banTimeFactor: z.number().min(1).default(2),
    /** Longest ban (ms, default 24 h). */
    maxBanTime: z
      .number()
      .int()
      .positive()
      .default(24 * 60 * 60_000),
    /**
     * The longest a ban check at accept may wait for the store (ms, default 2000); a store
     * that does not answer in time lets the connection in (and the failure is reported).
     */
    checkTimeout: z.number().int().positive().max(60_000).default(2000),
    /**
     * Addresses and CIDR ranges never scored or banned (e.g. "10.0.0.0/8", "::1"). Default:
     * loopback (`127.0.0.0/8`, `::1`), as fail2ban's `ignoreip`: a local proxy or monitor
     * must not lock everyone out. Give `[]` to defend loopback too.
     */
    allowList: z
      .array(z.string().refine(isAddressOrRange, { message: "not an IP address or CIDR range" }))
      .default([...DEFAULT_ALLOW_LIST]),
  })
  .strict();

export type DefenderOptions = z.input<typeof defenderOptionsSchema>;
type ResolvedDefenderOptions = z.output<typeof defenderOptionsSchema>;

export interface DefenderEvents {
  ban: [{ address: string; until: Date; score: number; count: number }];
  unban: [{ address: string; reason: "expired" | "manual" }];
}

export class Defender extends EventEmitter<DefenderEvents> {
  readonly options: ResolvedDefenderOptions;
  private readonly allow = new BlockList();
  private readonly store: DefenderStore;

  /** @throws ZodError naming the bad option (a bad `allowList` entry included). */
  constructor(options: DefenderOptions = {}, store: DefenderStore = new MemoryDefenderStore()) {
    super();
    this.options = defenderOptionsSchema.parse(options);
    this.store = store;
    for (const entry of this.options.allowList) addToBlockList(this.allow, entry);
  }

  /** True for an address on the allow-list. */
  isAllowed(address: string): boolean {
    const ip = canonical(address);
    const family = isIP(ip);
    return family !== 0 && this.allow.check(ip, family === 4 ? "ipv4" : "ipv6");
  }

  /** Whether the address is banned now. A ban that has run out is lifted here (and `unban` emitted). */
  async isBanned(address: string, now: number): Promise<boolean> {
    if (!this.options.enabled || this.isAllowed(address)) return false;
    const ip = canonical(address);
    const ban = await this.store.getBan(ip);
    if (ban === undefined || ban.lifted) return false;
    if (ban.until > now) return true;
    await this.lift(ip, ban);
    return false;
  }

  /**
   * Records an offence; returns whether the address is now banned and its score. Offences of
   * one address are recorded one after the other (a burst of them crosses the threshold
   * once: one ban, one `ban` event).
   */
  record(address: string, offence: OffenceKind, now: number): Promise<{ banned: boolean; score: number }> {
    if (!this.options.enabled || this.isAllowed(address)) return Promise.resolve({ banned: false, score: 0 });
    const ip = canonical(address);
    const points = this.options.scores[offence];
    if (points === 0) return Promise.resolve({ banned: false, score: 0 });
    const previous = this.recording.get(ip) ?? Promise.resolve();
    const next = previous.then(() => this.recordNow(ip, points, now));
    const tail = next.then(
      () => {},
      () => {},
    );
    this.recording.set(ip, tail);
    void tail.then(() => {
      if (this.recording.get(ip) === tail) this.recording.delete(ip);
    });
    return next;
  }

  /** Offences being recorded, per address (bounded by the addresses offending right now). */
  private readonly recording = new Map<string, Promise<void>>();

  private async recordNow(ip: string, points: number, now: number): Promise<{ banned: boolean; score: number }> {
    const existing = await this.store.getBan(ip);
    if (existing !== undefined && !existing.lifted && existing.until > now) return { banned: true, score: 0 };
    const score = await this.store.addScore(ip, points, now, this.options.observationWindow);
    if (score < this.options.threshold) return { banned: false, score };
    const count = (existing?.count ?? 0) + 1;
    const length = Math.min(this.options.maxBanTime, this.options.banTime * this.options.banTimeFactor ** (count - 1));
    const until = now + length;
    await this.store.setBan(ip, { until, count });
    this.emit("ban", { address: ip, until: new Date(until), score, count });
    return { banned: true, score };
  }

  /**
   * Lifts every ban whose time is over, emitting `unban` for each, and lets the store forget
   * scores older than the observation window (`DefenderStore.prune`, when it has one). The
   * server calls it periodically (an unref'd timer from `listen()` to `close()`).
   */
  async expire(now: number): Promise<void> {
    for (const ban of await this.store.listBans()) {
      if (!ban.lifted && ban.until <= now) await this.lift(ban.address, ban);
    }
    await this.store.prune?.(now - this.options.observationWindow);
  }

  private async lift(address: string, ban: BanRecord): Promise<void> {
    await this.store.setBan(address, { until: ban.until, count: ban.count, lifted: true });
    this.emit("unban", { address, reason: "expired" });
  }

  /** Lifts a ban by hand. */
  async unban(address: string): Promise<boolean> {
    const ip = canonical(address);
    const removed = await this.store.removeBan(ip);
    if (removed) this.emit("unban", { address: ip, reason: "manual" });
    return removed;
  }

  /** The bans in force at `now`. */
  async bans(now: number): Promise<Array<{ address: string; until: Date; count: number }>> {
    return (await this.store.listBans())
      .filter((b) => !b.lifted && b.until > now)
      .map((b) => ({ address: b.address, until: new Date(b.until), count: b.count }));
  }
}

/** One spelling per address, so `::ffff:1.2.3.4` and `1.2.3.4` share a score. */
function canonical(address: string): string {
  try {
    return normalizeIp(address);
  } catch {
    return address;
  }
}

function addToBlockList(list: BlockList, entry: string): void {
  const [address, prefix] = entry.split("/");
  const ip = canonical(address ?? "");
  const family = isIP(ip);
  if (family === 0) throw new Error(`defender allowList: not an IP address or CIDR range: ${entry}`);
  const type = family === 4 ? "ipv4" : "ipv6";
  if (prefix === undefined) list.addAddress(ip, type);
  else {
    const bits = Number(prefix);
    if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
      throw new Error(`defender allowList: bad prefix length in ${entry}`);
    }
    list.addSubnet(ip, bits, type);
  }
}
