import { concatBytes } from "../text/utf8.js";

const LF = 0x0a;
const CR = 0x0d;

/** A line taken from the stream, without its terminator. */
export type LineResult = { kind: "line"; bytes: Uint8Array } | { kind: "too-long"; length: number };

/**
 * Splits a byte stream into lines ended by LF (CRLF or, tolerated, bare LF: RFC 959
 * §4.1 says lines end in CRLF, but real peers send bare LF). It never buffers more than
 * `maxLineLength` bytes: a longer line is reported once as `too-long` and its remaining
 * bytes are discarded up to the next LF, so a peer cannot grow memory without bound.
 *
 * @internal
 */
export class LineBuffer {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private discarding = false;
  private discardedLength = 0;
  private readonly queue: Uint8Array[] = [];
  private queued = 0;

  constructor(private readonly maxLineLength: number) {}

  /** Queues bytes; lines are then read with {@link next}. */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.queue.push(bytes);
    this.queued += bytes.length;
  }

  /** Bytes received and not yet returned as part of a line. */
  get bufferedLength(): number {
    return this.buffered + this.queued;
  }

  /**
   * True when bytes of a line whose end has not been seen are held (or being discarded).
   * Exact once {@link next} has returned undefined (every queued byte scanned).
   */
  get hasPartialLine(): boolean {
    return this.buffered > 0 || this.discarding || this.queued > 0;
  }

  /**
   * The bytes of the unfinished line when it is short (at most 16 bytes) and nothing else
   * is queued, else undefined. Lets a decoder recognise a line whose terminator was lost.
   */
  peekPartial(): Uint8Array | undefined {
    if (this.discarding || this.queue.length > 0 || this.buffered === 0 || this.buffered > 16) return undefined;
    return this.chunks.length === 1 ? this.chunks[0] : concatBytes(this.chunks);
  }

  /** Forgets every byte received and not yet returned (a partial line included). */
  clear(): void {
    this.chunks = [];
    this.buffered = 0;
    this.discarding = false;
    this.discardedLength = 0;
    this.queue.length = 0;
    this.queued = 0;
  }

  /** The next complete line, or undefined when more bytes are needed. */
  next(): LineResult | undefined {
    while (this.queue.length > 0) {
      const data = this.queue.shift() as Uint8Array;
      this.queued -= data.length;
      const lf = data.indexOf(LF);
      if (lf === -1) {
        this.absorb(data);
        if (!this.discarding && this.buffered > this.maxLineLength) {
          this.startDiscarding();
          return { kind: "too-long", length: this.discardedLength };
        }
        continue;
      }
      const head = data.subarray(0, lf);
      if (lf + 1 < data.length) {
        const rest = data.subarray(lf + 1);
        this.queue.unshift(rest);
        this.queued += rest.length;
      }
      if (this.discarding) {
        this.discarding = false;
        this.discardedLength = 0;
        continue;
      }
      this.absorb(head);
      const line = this.take();
      if (line.length > this.maxLineLength) return { kind: "too-long", length: line.length };
      const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
      return { kind: "line", bytes: line.subarray(0, end) };
    }
    return undefined;
  }

  private absorb(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.discarding) {
      this.discardedLength += bytes.length;
      return;
    }
    this.chunks.push(bytes);
    this.buffered += bytes.length;
  }

  private startDiscarding(): void {
    this.discarding = true;
    this.discardedLength = this.buffered;
    this.chunks = [];
    this.buffered = 0;
  }

  private take(): Uint8Array {
    const line = this.chunks.length === 1 ? (this.chunks[0] as Uint8Array) : concatBytes(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    return line;
  }
}
