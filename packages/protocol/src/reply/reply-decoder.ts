import { RemoteProtocolError } from "../errors/index.js";
import { LineBuffer } from "../internal/line-buffer.js";
import { NEED_DATA } from "../sentinels.js";
import { decodeUtf8OrLatin1 } from "../text/utf8.js";
import { type Reply, unindentMiddleLine } from "./reply.js";

export interface ReplyDecoderOptions {
  /** Longest accepted reply line in bytes (default 8192). */
  maxLineLength?: number;
  /** Largest accepted reply in bytes, all lines together (default 64 MiB: STAT listings travel as replies). */
  maxReplyLength?: number;
}

/** `ddd ` / `ddd-` / a bare `ddd` that ends a reply (the bare form is sent by some servers). */
const FIRST_LINE = /^([1-6][0-5][0-9])([ -]|$)/;

/**
 * Incremental reply decoder: feed it chunks as they arrive, take complete replies.
 * Handles multi-line replies (RFC 959 §4.2), replies split at any byte, CRLF and bare LF.
 *
 * Call order: `receiveData(chunk)` any number of times, then `nextReply()` until it
 * returns `NEED_DATA`. After it throws, the decoder is unusable (the stream is corrupt).
 */
export class ReplyDecoder {
  private readonly lines: LineBuffer;
  private readonly maxReplyLength: number;
  private current: { code: number; lines: string[]; size: number } | undefined;
  private failed: RemoteProtocolError | undefined;

  constructor(options: ReplyDecoderOptions = {}) {
    this.lines = new LineBuffer(options.maxLineLength ?? 8192);
    this.maxReplyLength = options.maxReplyLength ?? 64 * 1024 * 1024;
  }

  /** Queues received bytes. */
  receiveData(bytes: Uint8Array): void {
    this.lines.push(bytes);
  }

  /** True when a reply has started but not ended, or bytes of an incomplete line wait. */
  get hasPartialReply(): boolean {
    return this.current !== undefined || this.lines.bufferedLength > 0;
  }

  /**
   * The next complete reply, or `NEED_DATA`.
   * @throws RemoteProtocolError for a line that is not a reply, an over-long line or reply.
   */
  nextReply(): Reply | typeof NEED_DATA {
    if (this.failed) throw this.failed;
    for (;;) {
      const next = this.lines.next();
      if (next === undefined) return NEED_DATA;
      if (next.kind === "too-long") return this.fail(`reply line longer than the limit (${next.length} bytes)`);
      const text = decodeUtf8OrLatin1(next.bytes);
      const reply = this.acceptLine(text, next.bytes.length);
      if (reply) return reply;
    }
  }

  private acceptLine(text: string, size: number): Reply | undefined {
    const current = this.current;
    if (current === undefined) {
      const match = FIRST_LINE.exec(text);
      if (!match) {
        // Some servers pad replies with empty lines; they carry nothing.
        if (text.trim() === "") return undefined;
        return this.fail(`not an FTP reply line: ${JSON.stringify(text.slice(0, 80))}`);
      }
      const code = Number(match[1]);
      const rest = text.slice(4);
      if (match[2] === "-") {
        this.current = { code, lines: [rest], size };
        return undefined;
      }
      return Object.freeze({ code, lines: Object.freeze([rest]) });
    }
    current.size += size;
    if (current.size > this.maxReplyLength) return this.fail("reply longer than the limit");
    // RFC 959 §4.2: the last line "will begin with the same code, followed immediately by Space".
    // A bare `ddd` with the same code also ends it (seen from servers that drop the space).
    if (text.startsWith(String(current.code)) && (text.length === 3 || text[3] === " ")) {
      current.lines.push(text.slice(4));
      this.current = undefined;
      return Object.freeze({ code: current.code, lines: Object.freeze(current.lines) });
    }
    current.lines.push(unindentMiddleLine(text));
    return undefined;
  }

  private fail(message: string): never {
    this.failed = new RemoteProtocolError(message, { code: "FTP_ERR_BAD_REPLY" });
    throw this.failed;
  }
}

/**
 * Parses one complete reply given as text.
 * @throws RemoteProtocolError if the text is not exactly one complete reply.
 */
export function parseReply(text: string): Reply {
  const decoder = new ReplyDecoder();
  decoder.receiveData(new TextEncoder().encode(text.endsWith("\n") ? text : `${text}\r\n`));
  const reply = decoder.nextReply();
  if (reply === NEED_DATA || decoder.hasPartialReply) {
    throw new RemoteProtocolError("incomplete or extra reply text", { code: "FTP_ERR_BAD_REPLY" });
  }
  return reply;
}
