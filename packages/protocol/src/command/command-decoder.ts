import { LocalProtocolError } from "../errors/index.js";
import { LineBuffer } from "../internal/line-buffer.js";
import { NEED_DATA } from "../sentinels.js";
import { decodeUtf8OrLatin1 } from "../text/utf8.js";
import { type Command, parseCommand } from "./command.js";

/** Telnet command bytes (RFC 854) that can appear on an FTP control connection. */
const IAC = 255;
const CR = 0x0d;
const LF = 0x0a;
const SB = 250;
const SE = 240;
const WILL = 251;
const DONT = 254;
const IP = 244;
const DM = 242;

/** One decoded control line: a command, or the reason it is not one (the server replies and goes on). */
export type DecodedLine =
  | { readonly ok: true; readonly command: Command; readonly line: string }
  | { readonly ok: false; readonly error: LocalProtocolError; readonly line: string };

export interface CommandDecoderOptions {
  /** Longest command line accepted, in bytes (default 8192; vsftpd uses 4096). */
  maxLineLength?: number;
}

type TelnetState = "data" | "iac" | "option" | "sub" | "sub-iac";

/**
 * Incremental decoder for the server side of the control connection.
 *
 * - Lines end in CRLF; a bare LF is tolerated (RFC 959 §4.1 asks for CRLF, clients differ).
 * - Telnet (RFC 959 §4.1, RFC 854): `IAC IAC` is a literal 0xFF; `IAC IP`, `IAC DM` (the
 *   "SYNCH" clients send before ABOR, RFC 959 §4.1.3) and other two-byte commands are
 *   removed; option negotiation (`IAC WILL/WONT/DO/DONT x`) and subnegotiation are removed.
 * - A line over the limit is reported once as a 500 error and skipped to its end; the
 *   decoder never buffers more than the limit.
 * - Text is UTF-8 (RFC 2640 §2.2), with a Latin-1 fallback for invalid bytes; never throws.
 *
 * Call order: `receiveData(bytes)`, then `nextLine()` until `NEED_DATA`.
 */
export class CommandDecoder {
  private readonly lines: LineBuffer;
  private readonly maxLineLength: number;
  private telnet: TelnetState = "data";
  private interrupts = 0;

  constructor(options: CommandDecoderOptions = {}) {
    this.maxLineLength = options.maxLineLength ?? 8192;
    this.lines = new LineBuffer(this.maxLineLength);
  }

  /** Number of Telnet interrupt signals (IAC IP / IAC DM) seen so far. */
  get interruptCount(): number {
    return this.interrupts;
  }

  /** Bytes of an unfinished line waiting for its end. */
  get bufferedLength(): number {
    return this.lines.bufferedLength;
  }

  /**
   * True while a line has begun and not ended: bytes without their LF, or a Telnet command
   * or subnegotiation not finished. Exact once `nextLine()` has returned `NEED_DATA`; a
   * server uses it to bound how long a line may take (a slow sender, "slowloris").
   */
  get hasPartialLine(): boolean {
    return this.lines.hasPartialLine || this.telnet !== "data";
  }

  /** Queues received bytes, stripping Telnet commands. */
  receiveData(bytes: Uint8Array): void {
    let data = bytes;
    if (this.swallowLf && data.length > 0) {
      this.swallowLf = false;
      if (data[0] === LF) data = data.subarray(1);
    }
    if (this.telnet === "data" && !data.includes(IAC)) this.lines.push(data);
    else this.lines.push(this.stripTelnet(data));
  }

  /**
   * Forgets every byte received and not yet returned as a line. A server calls this when
   * the control connection switches to TLS: plain-text bytes that followed `AUTH TLS` must
   * never be taken as commands of the protected session (STARTTLS command injection, as in
   * pure-ftpd's CVE-2011-1575).
   */
  discardBuffered(): void {
    this.lines.clear();
    this.telnet = "data";
    this.swallowLf = false;
  }

  /**
   * Python's ftplib sends `ABOR\r\n` with MSG_OOB, so its last byte (LF) is urgent data,
   * which the kernel removes from the stream when SO_OOBINLINE is off (Node cannot turn it
   * on). What arrives is `ABOR\r`. A pending line that is exactly ABOR, STAT or QUIT
   * followed by CR is therefore complete; an LF that still follows is swallowed.
   */
  private completeUrgentCommand(): boolean {
    const pending = this.lines.peekPartial();
    if (pending === undefined || pending.length !== 5 || pending[4] !== CR) return false;
    const word = String.fromCharCode(...pending.subarray(0, 4)).toUpperCase();
    if (word !== "ABOR" && word !== "STAT" && word !== "QUIT") return false;
    this.lines.push(new Uint8Array([LF]));
    this.swallowLf = true;
    return true;
  }

  private swallowLf = false;

  /** The next line, decoded and parsed, or `NEED_DATA`. Never throws. */
  nextLine(): DecodedLine | typeof NEED_DATA {
    let next = this.lines.next();
    if (next === undefined && this.completeUrgentCommand()) next = this.lines.next();
    if (next === undefined) return NEED_DATA;
    if (next.kind === "too-long") {
      const error = new LocalProtocolError(`command line too long (over ${this.maxLineLength} bytes)`, {
        replyHint: 500,
        code: "FTP_ERR_LINE_TOO_LONG",
      });
      return Object.freeze({ ok: false, error, line: "" });
    }
    const line = decodeUtf8OrLatin1(next.bytes);
    try {
      return Object.freeze({ ok: true, command: parseCommand(line), line });
    } catch (error) {
      if (LocalProtocolError.isInstance(error)) return Object.freeze({ ok: false, error, line });
      throw error;
    }
  }

  private stripTelnet(bytes: Uint8Array): Uint8Array {
    const out = new Uint8Array(bytes.length);
    let j = 0;
    for (const b of bytes) {
      switch (this.telnet) {
        case "data":
          if (b === IAC) this.telnet = "iac";
          else out[j++] = b;
          break;
        case "iac":
          if (b === IAC) {
            out[j++] = IAC;
            this.telnet = "data";
          } else if (b < SE) {
            // Not a Telnet command: the byte after this IAC was sent as TCP urgent data
            // (the DM of "IAC IP IAC DM", RFC 959 §4.1.3) and the kernel, without
            // SO_OOBINLINE (which Node cannot set), took it out of the stream. Drop the
            // dangling IAC and keep this byte as data.
            out[j++] = b;
            this.telnet = "data";
          } else if (b >= WILL && b <= DONT) {
            this.telnet = "option";
          } else if (b === SB) {
            this.telnet = "sub";
          } else {
            if (b === IP || b === DM) this.interrupts++;
            this.telnet = "data";
          }
          break;
        case "option":
          this.telnet = "data";
          break;
        case "sub":
          if (b === IAC) this.telnet = "sub-iac";
          break;
        case "sub-iac":
          this.telnet = b === SE ? "data" : "sub";
          break;
      }
    }
    return out.subarray(0, j);
  }
}
