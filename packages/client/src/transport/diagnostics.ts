/**
 * Observability through `node:diagnostics_channel` (STYLE §3, as undici does): subscribe to
 * `ftp:client:command` and `ftp:client:reply` to log a conversation, and `ftp:client:tls` to
 * see every TLS handshake (version, session resumption). No logger is injected. Messages are
 * published only while someone subscribes.
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
  /** True when the control connection is protected by TLS (FTPS) as the command goes out. */
  readonly secure: boolean;
}

/** Published on `ftp:client:reply` for every reply read from a control connection. */
export interface FtpReplyMessage {
  readonly connectionId: number;
  readonly host: string;
  readonly port: number;
  readonly reply: Reply;
  /** The command it answers, masked as in {@link FtpCommandMessage}; undefined for the greeting and stray replies. */
  readonly command: string | undefined;
  /** True when the reply came over TLS. */
  readonly secure: boolean;
}

/** Published on `ftp:client:tls` for every completed TLS handshake (FTPS). */
export interface FtpTlsMessage {
  /** The control connection, also for its data connections. */
  readonly connectionId: number;
  readonly role: "control" | "data";
  /** `TLSv1.3`, `TLSv1.2` ... */
  readonly protocol: string | undefined;
  readonly cipher: string | undefined;
  /** A data connection offered a stored session (ticket or session id) to resume. */
  readonly sessionOffered: boolean;
  /** The server resumed it (what vsftpd and ProFTPD insist on for data connections). */
  readonly sessionReused: boolean;
  /** For data connections: the transfer command, as logged. */
  readonly command: string | undefined;
  readonly handshakeMs: number;
}

export const commandChannel = diagnosticsChannel.channel("ftp:client:command");
export const replyChannel = diagnosticsChannel.channel("ftp:client:reply");
export const tlsChannel = diagnosticsChannel.channel("ftp:client:tls");
