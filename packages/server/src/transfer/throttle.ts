import type { Socket } from "node:net";
import { Transform, type TransformCallback } from "node:stream";
import { TokenBucket } from "@ftpkit/protocol";

/**
 * Bandwidth throttling with a token bucket (@ftpkit/protocol's TokenBucket; time is read
 * here, the bucket only computes).
 *
 * No timer storms: bytes move in slices of about a tenth of a second's worth (at least one
 * byte, at most 1 MiB), so a throttled transfer arms at most ~10 timers a second whatever the
 * chunk sizes, and an unthrottled one none. No unbounded buffering: the transform calls back
 * only once a chunk's slices are all pushed, so its writable side fills and `pipeline` stops
 * reading the source; and Transform does not run while its readable side is over its
 * high-water mark, so a slow consumer holds the source back too.
 * @internal
 */
export function sliceSize(rate: number): number {
  return Math.max(1, Math.min(1024 * 1024, Math.floor(rate / 10)));
}

/** A Transform that lets bytes through at most `rate` bytes per second. @internal */
export class ThrottleTransform extends Transform {
  private readonly bucket: TokenBucket;
  private readonly slice: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(rate: number, highWaterMark = 1024 * 1024) {
    super({ readableHighWaterMark: highWaterMark, writableHighWaterMark: highWaterMark });
    this.slice = sliceSize(rate);
    this.bucket = new TokenBucket(rate, this.slice, performance.now());
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.feed(chunk, 0, callback);
  }

  private feed(chunk: Buffer, from: number, callback: TransformCallback): void {
    let offset = from;
    while (offset < chunk.length) {
      if (this.destroyed) return;
      const n = Math.min(this.slice, chunk.length - offset);
      const wait = this.bucket.take(n, performance.now());
      this.push(chunk.subarray(offset, offset + n));
      offset += n;
      if (wait > 0) {
        // Spent ahead of the rate: the next slice (or the next chunk) waits for the debt.
        this.timer = setTimeout(() => {
          this.timer = undefined;
          if (offset < chunk.length) this.feed(chunk, offset, callback);
          else callback();
        }, wait);
        return;
      }
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    callback(error);
  }
}

/**
 * Reads a socket at most `rate` bytes per second: after each chunk the bucket's debt is
 * waited off with the socket paused (back-pressure to the client through TCP). The socket's
 * idle timeout is suspended during such a pause (our wait, not the client's silence).
 * @internal
 */
export class ReadThrottle {
  private readonly bucket: TokenBucket;
  private timer: NodeJS.Timeout | undefined;
  /** True while the socket is paused for the rate. */
  waiting = false;

  constructor(
    rate: number,
    private readonly socket: Socket,
    private readonly idleTimeout: number,
    private readonly onResume: () => void,
  ) {
    this.bucket = new TokenBucket(rate, sliceSize(rate), performance.now());
  }

  /** Spends `n` bytes; pauses the socket until the rate allows more. */
  spend(n: number): void {
    const wait = this.bucket.take(n, performance.now());
    if (wait <= 0 || this.waiting) return;
    this.waiting = true;
    this.socket.pause();
    this.socket.setTimeout(0);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.waiting = false;
      if (!this.socket.destroyed) this.socket.setTimeout(this.idleTimeout);
      this.onResume();
    }, wait);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
