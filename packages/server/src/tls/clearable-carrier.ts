/**
 * CCC (RFC 4217 §5, "Clearing the Control Port"): TLS on the control connection ends with
 * close_notify and the same TCP connection carries clear-text commands again.
 *
 * Node cannot do that on a `TLSSocket` made over a `net.Socket`: the TLS layer takes the
 * socket's handle, and ending it (the only way to send close_notify) also sends FIN. So when
 * CCC is allowed, the control connection's TLS runs over a {@link ClearableTlsCarrier}, a
 * Duplex that relays bytes between the TLS layer and the TCP socket. Ending the TLS socket
 * then writes close_notify through the carrier, and once the carrier is released its end
 * and destroy stop at the carrier: the TCP socket stays open for clear text.
 *
 * Measured on Node 20 (TLS 1.2 and 1.3) against Python's `ssl.SSLSocket.unwrap()`, curl's
 * `--ftp-ssl-ccc` (passive and active modes) and lftp's `ftp:ssl-use-ccc`.
 */

import type { Socket } from "node:net";
import { Duplex } from "node:stream";

/** TLS record content types (RFC 8446 §5.1): change_cipher_spec, alert, handshake, application_data. */
const FIRST_RECORD_TYPE = 20;
const LAST_RECORD_TYPE = 23;
const RECORD_HEADER = 5;

/** Whether `buffer` starts with something that can only be a TLS record (a command starts with a letter). */
function startsWithRecord(buffer: Buffer): boolean {
  const type = buffer[0] ?? 0;
  return type >= FIRST_RECORD_TYPE && type <= LAST_RECORD_TYPE;
}

/** Length of the complete TLS record at the start of `buffer`, or 0 while it is incomplete. */
function recordLength(buffer: Buffer): number {
  if (buffer.length < RECORD_HEADER) return 0;
  const length = RECORD_HEADER + buffer.readUInt16BE(3);
  return buffer.length < length ? 0 : length;
}

/** @internal */
export class ClearableTlsCarrier extends Duplex {
  /** After CCC: only whole TLS records still go to the TLS layer, and the TCP socket is never ended or destroyed here. */
  private closing = false;
  private released = false;
  /** While closing: a partial TLS record, or once clear text has begun, everything read since. */
  private held: Buffer = Buffer.alloc(0);
  private clearBegun = false;
  private readonly onRawData = (chunk: Buffer) => {
    if (this.closing) {
      this.frame(chunk);
      return;
    }
    if (!this.push(chunk)) this.raw.pause();
  };
  private readonly onRawEnd = () => this.push(null);
  private readonly onRawClose = () => this.destroy();
  private readonly onRawError = (error: Error) => this.destroy(error);

  constructor(private readonly raw: Socket) {
    super({ allowHalfOpen: true });
    raw.on("data", this.onRawData);
    raw.on("end", this.onRawEnd);
    raw.on("close", this.onRawClose);
    raw.on("error", this.onRawError);
  }

  override _read(): void {
    if (!this.released) this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.raw.destroyed) {
      callback(new Error("the control connection is closed"));
      return;
    }
    // The callback waits for the kernel: "finish" on the TLS socket then means its bytes
    // (close_notify included) are on the wire before any clear text that follows.
    this.raw.write(chunk, (error) => callback(error ?? null));
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Without CCC, ending the TLS socket ends the connection (close_notify, then FIN).
    if (!this.closing) this.raw.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.detach();
    if (!this.closing) this.raw.destroy();
    callback(error);
  }

  /**
   * CCC was answered: from now on the TLS layer gets only the whole TLS records that start
   * the client's stream (its close_notify), and the clear text after them is held for
   * {@link release}. Ending or destroying the TLS socket no longer touches the TCP socket.
   */
  beginClose(): void {
    this.closing = true;
  }

  /**
   * Stops relaying the TCP socket's bytes to TLS. Writes the TLS layer still makes
   * (close_notify) go through.
   * @returns the TCP socket, paused, and the bytes read but not given to TLS: a partial TLS
   *   record or clear text (see {@link TlsRecordSkipper}).
   */
  release(): { socket: Socket; rest: Buffer } {
    this.closing = true;
    this.released = true;
    this.detach();
    this.raw.pause();
    const rest = this.held;
    this.held = Buffer.alloc(0);
    return { socket: this.raw, rest };
  }

  private frame(chunk: Buffer): void {
    if (this.clearBegun) {
      this.held = Buffer.concat([this.held, chunk]);
      return;
    }
    let buffer = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    while (buffer.length > 0) {
      if (!startsWithRecord(buffer)) {
        this.clearBegun = true;
        break;
      }
      const length = recordLength(buffer);
      if (length === 0) break;
      this.push(buffer.subarray(0, length));
      buffer = buffer.subarray(length);
    }
    this.held = buffer;
  }

  private detach(): void {
    this.raw.off("data", this.onRawData);
    this.raw.off("end", this.onRawEnd);
    this.raw.off("close", this.onRawClose);
    this.raw.off("error", this.onRawError);
  }
}

/** A client ends TLS with one or two records (a TLS 1.3 KeyUpdate, then close_notify); more is not a TLS shutdown. */
const MAX_SKIPPED_RECORDS = 4;

/**
 * After the server's close_notify the client may still send its own (a client that did not
 * wait), or none (curl's passive mode). Either way the next clear-text command starts with a
 * letter, never with a TLS record type byte (20–23), so whole TLS records at the start of the
 * clear stream are dropped and the rest is the command stream.
 * @internal
 */
export class TlsRecordSkipper {
  private pending: Buffer = Buffer.alloc(0);
  private skipped = 0;
  private finished = false;

  /** True once clear text has begun: the skipper has nothing more to do. */
  get done(): boolean {
    return this.finished;
  }

  /** Feeds bytes read after CCC; returns the clear-text part (empty while a record is incomplete). */
  feed(chunk: Buffer): Buffer {
    if (this.finished) return chunk;
    let buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (buffer.length > 0 && this.skipped < MAX_SKIPPED_RECORDS && startsWithRecord(buffer)) {
      const length = recordLength(buffer);
      if (length === 0) {
        this.pending = buffer;
        return Buffer.alloc(0);
      }
      buffer = buffer.subarray(length);
      this.skipped++;
    }
    this.pending = Buffer.alloc(0);
    if (buffer.length > 0 || this.skipped >= MAX_SKIPPED_RECORDS) this.finished = true;
    return buffer;
  }
}
