/**
 * UTF-8 helpers. RFC 2640 §2.2: pathnames on the control connection are UTF-8.
 * Real peers still send Latin-1 or broken bytes, so decoding never throws: invalid
 * sequences become U+FFFD, and {@link isValidUtf8} lets callers tell the two apart.
 */

const encoder = new TextEncoder();
const lenientDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Encodes a string to UTF-8 bytes. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, replacing invalid sequences with U+FFFD. Never throws. */
export function decodeUtf8(bytes: Uint8Array): string {
  return lenientDecoder.decode(bytes);
}

/** True when the bytes are well-formed UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    strictDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decodes bytes as UTF-8 when they are valid, and as Latin-1 otherwise, so that a name
 * sent by a non-UTF-8 client keeps one character per byte instead of collapsing to U+FFFD.
 * Never throws.
 */
export function decodeUtf8OrLatin1(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    let out = "";
    for (const byte of bytes) out += String.fromCharCode(byte);
    return out;
  }
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
