/**
 * Where the defender keeps scores and bans. The default lives in memory; a shared store
 * (a database) lets several server nodes see the same bans.
 */
export interface DefenderStore {
  /**
   * Adds `score` for `address` at time `now` and returns the address's total over the
   * window `[now - windowMs, now]`.
   */
  addScore(address: string, score: number, now: number, windowMs: number): Promise<number>;
  /** The current ban of an address, if any (expired bans may be returned; the caller checks `until`). */
  getBan(address: string): Promise<BanRecord | undefined>;
  /** Records a ban; `count` is how many times the address has been banned so far, this one included. */
  setBan(address: string, ban: BanRecord): Promise<void>;
  /** Lifts a ban (and forgets the address's scores). Returns whether a ban was there. */
  removeBan(address: string): Promise<boolean>;
  /** Every ban record, lifted ones included (their count makes the next ban longer). */
  listBans(): Promise<Array<BanRecord & { address: string }>>;
  /**
   * Optional: forgets scores recorded before `before` (epoch ms), those of addresses that never
   * came back included, so that the store does not grow with every address that ever offended
   * once. `Defender.expire` (which the server runs periodically) calls it with the start of the
   * observation window: such scores no longer count anyway.
   */
  prune?(before: number): Promise<unknown>;
}

export interface BanRecord {
  /** Epoch milliseconds when the ban ends. */
  readonly until: number;
  /** How many times this address has been banned, this ban included (the ban time grows with it). */
  readonly count: number;
  /** Set once the ban has ended and `unban` was announced. */
  readonly lifted?: boolean;
}

/** The in-process store: per-address score events in a ring, and bans in a map. */
export class MemoryDefenderStore implements DefenderStore {
  private readonly scores = new Map<string, Array<{ at: number; score: number }>>();
  private readonly bans = new Map<string, BanRecord>();
  /** Addresses remembered at most; the oldest are forgotten first (bounded memory under a flood of sources). */
  constructor(private readonly maxAddresses = 100_000) {}

  async addScore(address: string, score: number, now: number, windowMs: number): Promise<number> {
    const from = now - windowMs;
    let events = this.scores.get(address);
    if (events === undefined) {
      if (this.scores.size >= this.maxAddresses) {
        const oldest = this.scores.keys().next().value;
        if (oldest !== undefined) this.scores.delete(oldest);
      }
      events = [];
      this.scores.set(address, events);
    }
    events.push({ at: now, score });
    while (events.length > 0 && (events[0] as { at: number }).at < from) events.shift();
    let total = 0;
    for (const e of events) total += e.score;
    return total;
  }

  async getBan(address: string): Promise<BanRecord | undefined> {
    return this.bans.get(address);
  }

  async setBan(address: string, ban: BanRecord): Promise<void> {
    this.bans.set(address, ban);
    this.scores.delete(address);
  }

  async removeBan(address: string): Promise<boolean> {
    this.scores.delete(address);
    return this.bans.delete(address);
  }

  async listBans(): Promise<Array<BanRecord & { address: string }>> {
    return [...this.bans].map(([address, ban]) => ({ address, ...ban }));
  }

  /** Drops scores older than `before`, and the addresses left with none. @returns how many addresses went. */
  async prune(before: number): Promise<number> {
    let forgotten = 0;
    for (const [address, events] of this.scores) {
      while (events.length > 0 && (events[0] as { at: number }).at < before) events.shift();
      if (events.length === 0) {
        this.scores.delete(address);
        forgotten++;
      }
    }
    return forgotten;
  }
}
