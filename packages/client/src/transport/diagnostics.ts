/**
 * Observability through `node:diagnostics_channel` (STYLE §3, as undici does): subscribe to
 * `ftp:client:command` and `ftp:client:reply` to log a conversation. No logger is injected.
 * Messages are published only while someone subscribes.
 */
import diagnosticsChannel from "node:diagnostics_channel";
import type { Reply } from "@ftpkit/protocol";

/** Published on `ftp:client:command` for every command written to a control connection. */
export interface FtpCommandMessage {
  /** Identifies the control connection (increasing numbers, per process). */
  readonly connectionId: number;
  readonly host: string;
  readonly port: number;
  /** The command line without CRLF, with the PASS argument masked (`PASS ****`). */
  readonly command: string;
}

/** Published on `ftp:client:reply` for every reply read from a control connection. */
export interface FtpReplyMessage {
  readonly connectionId: number;
  readonly host: string;
  readonly port: number;
  readonly reply: Reply;
  /** The command it answers, masked as in {@link FtpCommandMessage}; undefined for the greeting and stray replies. */
  readonly command: string | undefined;
}

export const commandChannel = diagnosticsChannel.channel("ftp:client:command");
export const replyChannel = diagnosticsChannel.channel("ftp:client:reply");
