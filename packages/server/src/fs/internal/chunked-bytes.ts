/**
 * The bytes of one in-memory file, in fixed-size chunks kept in a Map by index. Why chunks:
 * a growing file never needs one big reallocation and copy (a 1 GiB file grown by doubling a
 * single Buffer copies ~2 GiB along the way and briefly needs 1.5 GiB at once). Why a Map: a
 * write far past the end (REST beyond EOF) leaves a hole that costs nothing, as on a sparse
 * POSIX file; missing chunks read as zeros.
 *
 * Invariants: chunk `i` covers file offsets `[i * chunkSize, i * chunkSize + chunk.length)`;
 * `chunk.length <= chunkSize`; bytes not covered by a chunk, and bytes of a chunk at or past
 * `size`, are zero. A chunk grows by doubling up to `chunkSize`, so small files stay small.
 *
 * @internal
 */
export class ChunkedBytes {
  static readonly DEFAULT_CHUNK_SIZE = 1 << 20;

  private readonly chunks = new Map<number, Buffer>();
  private length = 0;

  constructor(readonly chunkSize = ChunkedBytes.DEFAULT_CHUNK_SIZE) {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`bad chunk size ${chunkSize}`);
  }

  /** The file size: one past the last byte written, or as set by {@link truncate}. */
  get size(): number {
    return this.length;
  }

  /** Copies `data` in at `position`; bytes between the old end and `position` read as zeros. */
  write(position: number, data: Uint8Array): void {
    const end = position + data.length;
    if (!Number.isSafeInteger(position) || position < 0 || !Number.isSafeInteger(end)) {
      throw new RangeError(`bad write position ${position}`);
    }
    let done = 0;
    while (done < data.length) {
      const at = position + done;
      const index = Math.floor(at / this.chunkSize);
      const offset = at - index * this.chunkSize;
      const count = Math.min(data.length - done, this.chunkSize - offset);
      const chunk = this.reserve(index, offset + count);
      chunk.set(data.subarray(done, done + count), offset);
      done += count;
    }
    if (end > this.length) this.length = end;
  }

  /** Sets the size like ftruncate(2): cuts off the tail, or extends with zeros. */
  truncate(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad size ${size}`);
    if (size < this.length) {
      for (const index of this.chunks.keys()) {
        const start = index * this.chunkSize;
        const chunk = this.chunks.get(index) as Buffer;
        if (start >= size) this.chunks.delete(index);
        else if (start + chunk.length > size) chunk.fill(0, size - start); // keep "past size reads zero"
      }
    }
    this.length = size;
  }

  /** A copy of up to `max` bytes from `start`; empty at or past the end. */
  read(start: number, max: number): Buffer {
    const end = Math.min(this.length, start + max);
    if (start >= end) return Buffer.alloc(0);
    const out = Buffer.alloc(end - start);
    for (let at = start; at < end; ) {
      const index = Math.floor(at / this.chunkSize);
      const offset = at - index * this.chunkSize;
      const count = Math.min(end - at, this.chunkSize - offset);
      const chunk = this.chunks.get(index);
      if (chunk && offset < chunk.length) {
        chunk.copy(out, at - start, offset, Math.min(chunk.length, offset + count));
      }
      at += count;
    }
    return out;
  }

  /**
   * The bytes from `start` as views of at most one chunk each, no copies: for hashing, where
   * nothing holds on to them. Do not write to the file while iterating.
   */
  *views(start = 0): Generator<Uint8Array> {
    for (let at = start; at < this.length; ) {
      const index = Math.floor(at / this.chunkSize);
      const offset = at - index * this.chunkSize;
      const count = Math.min(this.length - at, this.chunkSize - offset);
      const chunk = this.chunks.get(index);
      if (chunk && offset + count <= chunk.length) yield chunk.subarray(offset, offset + count);
      else yield this.read(at, count); // a hole, or the zero tail beyond the chunk's buffer
      at += count;
    }
  }

  /** An independent copy (for an atomic upload that resumes: the old file stays as it was). */
  clone(): ChunkedBytes {
    const copy = new ChunkedBytes(this.chunkSize);
    for (const [index, chunk] of this.chunks) copy.chunks.set(index, Buffer.from(chunk));
    copy.length = this.length;
    return copy;
  }

  /** Chunk `index`, allocated or grown so that it holds at least `needed` bytes. */
  private reserve(index: number, needed: number): Buffer {
    const chunk = this.chunks.get(index);
    if (chunk && chunk.length >= needed) return chunk;
    const capacity = Math.min(this.chunkSize, Math.max(needed, (chunk?.length ?? 0) * 2));
    const grown = Buffer.alloc(capacity); // zero-filled: the invariant "uncovered reads zero"
    chunk?.copy(grown);
    this.chunks.set(index, grown);
    return grown;
  }
}
