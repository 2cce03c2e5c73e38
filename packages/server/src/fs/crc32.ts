import * as zlib from "node:zlib";

/**
 * CRC-32 (ISO-HDLC, the zlib/PNG/Ethernet polynomial 0xEDB88320, reflected), the `CRC32`
 * algorithm of draft-bryan-ftpext-hash. Incremental: pass the previous result to continue,
 * so `crc32(b, crc32(a)) === crc32(concat(a, b))`.
 *
 * Uses `zlib.crc32` (native, Node 20.15+ and 22.2+) when present; our engines field allows
 * Node 20.11, so older runtimes fall back to {@link crc32Portable}.
 *
 * @param data - The bytes to add.
 * @param previous - The CRC of the bytes before `data` (0 to start).
 * @returns The CRC as an unsigned 32-bit integer.
 */
export const crc32: (data: Uint8Array, previous?: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === "function"
    ? (data, previous = 0) => (zlib as unknown as { crc32(d: Uint8Array, v: number): number }).crc32(data, previous)
    : crc32Portable;

let table: Uint32Array | undefined;

/** The 256-entry table of the byte-at-a-time algorithm, built on first use. */
function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * @internal Table-driven CRC-32, the fallback of {@link crc32} (same contract). Exported so
 * the tests can check it against the native one.
 */
export function crc32Portable(data: Uint8Array, previous = 0): number {
  const t = crcTable();
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = t[(c ^ (data[i] as number)) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
