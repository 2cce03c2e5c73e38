/**
 * A token bucket (the classic traffic shaper of RFC 2697 and RFC 2698): tokens accrue at
 * `rate` per second up to `capacity`; an action spends tokens. Time is an input (`now`, in
 * milliseconds on the caller's clock), so the bucket is deterministic and needs no timer:
 * the caller asks how long to wait and arms ONE timer for that.
 *
 * Two ways to spend:
 * - `tryTake(n, now)`: all or nothing (the balance never goes below zero);
 * - `take(n, now)`: always succeeds and may leave a debt; the result is how long until the
 *   debt is repaid. Spending a large amount at once (a 64 KiB socket read) is then a single
 *   wait of `n / rate` seconds instead of many small ones.
 */
export class TokenBucket {
  /** Tokens added per second. */
  readonly rate: number;
  /** Most tokens the bucket holds (the burst allowed after a quiet period). */
  readonly capacity: number;
  private tokens: number;
  private at: number;

  /**
   * @param rate - tokens per second, a finite number above 0.
   * @param capacity - at least 1; the bucket starts full.
   * @param now - the current time in milliseconds.
   * @throws RangeError for a rate or capacity out of range.
   */
  constructor(rate: number, capacity: number, now: number) {
    if (!(Number.isFinite(rate) && rate > 0)) throw new RangeError(`TokenBucket: rate must be > 0, got ${rate}`);
    if (!(Number.isFinite(capacity) && capacity >= 1)) {
      throw new RangeError(`TokenBucket: capacity must be >= 1, got ${capacity}`);
    }
    this.rate = rate;
    this.capacity = capacity;
    this.tokens = capacity;
    this.at = now;
  }

  /** Tokens available at `now` (negative while in debt). */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** Spends `n` tokens if that many are available; returns whether it did. */
  tryTake(n: number, now: number): boolean {
    this.refill(now);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /**
   * Spends `n` tokens, going into debt if needed.
   * @returns milliseconds until the balance is back at zero (0 when there was no debt).
   */
  take(n: number, now: number): number {
    this.refill(now);
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate);
  }

  /** Milliseconds until `n` tokens are available (0 when they are now). `n` above `capacity` waits for a full bucket. */
  waitFor(n: number, now: number): number {
    this.refill(now);
    const missing = Math.min(n, this.capacity) - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.rate);
  }

  private refill(now: number): void {
    // A clock that goes backwards (a caller mixing clocks) adds nothing rather than draining.
    if (now > this.at) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) * this.rate) / 1000);
      this.at = now;
    }
  }
}
