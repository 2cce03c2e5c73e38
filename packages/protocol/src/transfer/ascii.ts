/**
 * TYPE A conversion (RFC 959 §3.1.1.1): on the wire, ASCII text ends lines with CRLF
 * ("the <CRLF> sequence should be used where necessary to denote the end of a line").
 * Hosts store LF. These converters are incremental: a CR at the end of one chunk is
 * matched against an LF at the start of the next, so the result does not depend on how
 * the data was split.
 */

const CR = 0x0d;
const LF = 0x0a;

/** Converts stored text (LF) to wire text (CRLF) for sending in TYPE A. An existing CRLF is kept as is. */
export class AsciiEncoder {
  private lastWasCr = false;

  /** Converts one chunk. The result may be longer than the input. */
  encode(chunk: Uint8Array): Uint8Array {
    const startPrev = this.lastWasCr;
    let extra = 0;
    let prev = startPrev;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      prev = i === 0 ? startPrev : chunk[i - 1] === CR;
      if (!prev) extra++;
    }
    if (chunk.length > 0) this.lastWasCr = chunk[chunk.length - 1] === CR;
    if (extra === 0) return chunk;
    const out = new Uint8Array(chunk.length + extra);
    let j = 0;
    prev = startPrev;
    for (const b of chunk) {
      if (b === LF && !prev) out[j++] = CR;
      out[j++] = b;
      prev = b === CR;
    }
    return out;
  }
}

/** Converts wire text (CRLF) to stored text (LF) when receiving in TYPE A. */
export class AsciiDecoder {
  private pendingCr = false;

  /** Converts one chunk. A CR at its end is held until the next chunk shows what follows. */
  decode(chunk: Uint8Array): Uint8Array {
    const out = new Uint8Array(chunk.length + 1);
    let j = 0;
    let i = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk.length === 0) {
        this.pendingCr = true;
        return out.subarray(0, 0);
      }
      if (chunk[0] !== LF) out[j++] = CR;
    }
    for (; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (b === CR) {
        if (i + 1 === chunk.length) {
          this.pendingCr = true;
          break;
        }
        if (chunk[i + 1] === LF) continue;
      }
      out[j++] = b;
    }
    return out.subarray(0, j);
  }

  /** Call at end of data: a final lone CR is kept as data. */
  flush(): Uint8Array {
    if (!this.pendingCr) return new Uint8Array(0);
    this.pendingCr = false;
    return new Uint8Array([CR]);
  }
}
