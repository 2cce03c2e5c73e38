import { isValidReplyCode } from "../codes/index.js";
import { LocalProtocolError } from "../errors/index.js";
import { encodeUtf8 } from "../text/utf8.js";

/**
 * One reply from the server (RFC 959 §4.2). `lines` holds the text of each line without
 * the code: for a single-line reply one entry, for a multi-line reply the text after
 * `123-`, then every middle line as sent, then the text after `123 `.
 */
export interface Reply {
  readonly code: number;
  readonly lines: readonly string[];
}

/** Creates a frozen reply, checking the code and that no line can break the framing. */
export function createReply(code: number, lines: string | readonly string[]): Reply {
  const list = typeof lines === "string" ? [lines] : [...lines];
  if (!isValidReplyCode(code))
    throw new LocalProtocolError(`invalid reply code ${code}`, { code: "FTP_ERR_REPLY_CODE" });
  if (list.length === 0) list.push("");
  for (const line of list) assertSafeReplyLine(line);
  return Object.freeze({ code, lines: Object.freeze(list) });
}

/** The reply's text on one line, lines joined by a newline (for messages and errors). */
export function replyMessage(reply: Reply): string {
  return reply.lines.join("\n");
}

function assertSafeReplyLine(line: string): void {
  // A CR or LF would end the reply early and let the rest read as another reply.
  if (/[\r\n\0]/.test(line)) {
    throw new LocalProtocolError("reply text must not contain CR, LF or NUL", { code: "FTP_ERR_REPLY_TEXT" });
  }
}

/** A middle line that starts with digits (after any spaces) is indented one more space. */
const NEEDS_INDENT = /^ *[0-9]/;

/**
 * Formats a reply as wire text with CRLF line ends.
 *
 * RFC 959 §4.2: a multi-line reply starts with `123-text`, ends with `123 text`, and
 * "the user-process must not mistake a middle line for the end: if an intermediary line
 * begins with a 3-digit number, the Server must pad the front to avoid confusion".
 * Middle lines starting with optional spaces and a digit get one extra leading space;
 * {@link ReplyDecoder} removes exactly that space, so parse(format(r)) equals r.
 *
 * @throws LocalProtocolError if the code is not a reply code or a line contains CR, LF or NUL.
 */
export function formatReply(code: number, lines: string | readonly string[]): string {
  const reply = createReply(code, lines);
  const all = reply.lines;
  if (all.length === 1) return `${code} ${all[0]}\r\n`;
  let out = `${code}-${all[0]}\r\n`;
  for (let i = 1; i < all.length - 1; i++) {
    const line = all[i] as string;
    out += NEEDS_INDENT.test(line) ? ` ${line}\r\n` : `${line}\r\n`;
  }
  out += `${code} ${all[all.length - 1]}\r\n`;
  return out;
}

/** {@link formatReply} as UTF-8 bytes (RFC 2640 §3.1: replies carry UTF-8 pathnames). */
export function encodeReply(code: number, lines: string | readonly string[]): Uint8Array {
  return encodeUtf8(formatReply(code, lines));
}

/** @internal undo the padding of {@link formatReply} on a middle line. */
export function unindentMiddleLine(line: string): string {
  return line.length > 1 && line[0] === " " && NEEDS_INDENT.test(line.slice(1)) ? line.slice(1) : line;
}
