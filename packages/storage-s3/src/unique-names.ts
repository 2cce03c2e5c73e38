import { randomBytes } from "node:crypto";
import { splitVirtualPath } from "@ftpkit/protocol";
import { FileSystemError } from "@ftpkit/server";

/** Numbered candidates tried before random ones (vsftpd numbers STOU names the same way). */
const NUMBERED = 99;
const RANDOM = 16;
/** Room kept for the `.NN` or `.<16 hex>` suffix within a 255-byte name. */
const MAX_HINT_BYTES = 255 - 17;

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = "";
  for (const char of text) {
    if (Buffer.byteLength(out + char) > maxBytes) break;
    out += char;
  }
  return out;
}

/**
 * The names STOU tries, in order (as the server's own back-ends do): `hint`, `hint.1` ...
 * `hint.99`, then `hint.<random>`; with no hint, `ftpkit-<random>`. The hint is checked at once.
 *
 * @throws {FileSystemError} `invalid-name` when `hint` is empty, `.`/`..` or holds a separator.
 */
export function unique(hint?: string): string[] {
  if (hint === undefined) return Array.from({ length: RANDOM }, () => `ftpkit-${randomBytes(8).toString("hex")}`);
  let segments: string[];
  try {
    segments = splitVirtualPath(hint);
  } catch (error) {
    throw new FileSystemError("invalid-name", "bad STOU name", { cause: error });
  }
  if (segments.length !== 1 || segments[0] !== hint) throw new FileSystemError("invalid-name", "bad STOU name");
  const base = truncateUtf8(hint, MAX_HINT_BYTES);
  return [
    hint,
    ...Array.from({ length: NUMBERED }, (_, i) => `${base}.${i + 1}`),
    ...Array.from({ length: RANDOM }, () => `${base}.${randomBytes(8).toString("hex")}`),
  ];
}
