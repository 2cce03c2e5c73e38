/**
 * Hands out passive ports from a configured range, one listener per port, shared by every
 * connection of a server. Ports are tried from a random start so that successive PASV
 * replies are not predictable (RFC 2577 §8: "port stealing" is harder when the next port
 * cannot be guessed); a port another process holds is skipped on EADDRINUSE.
 * @internal
 */
export class PortPool {
  private readonly inUse = new Set<number>();

  constructor(private readonly range: readonly [number, number] | undefined) {}

  /** Ports to try, in order, or `[0]` (any free port) without a range. */
  candidates(): number[] {
    if (this.range === undefined) return [0];
    const [low, high] = this.range;
    const size = high - low + 1;
    const start = Math.floor(Math.random() * size);
    const out: number[] = [];
    for (let i = 0; i < size; i++) {
      const port = low + ((start + i) % size);
      if (!this.inUse.has(port)) out.push(port);
    }
    return out;
  }

  take(port: number): void {
    if (this.range !== undefined) this.inUse.add(port);
  }

  release(port: number): void {
    this.inUse.delete(port);
  }

  get size(): number {
    return this.inUse.size;
  }
}
