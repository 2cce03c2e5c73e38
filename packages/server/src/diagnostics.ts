import diagnosticsChannel from "node:diagnostics_channel";
import type { CloseReason } from "@ftpkit/protocol";

/**
 * Observability on `node:diagnostics_channel` (STYLE §3: channels, not an injected logger).
 * Subscribe with `diagnostics_channel.subscribe("ftp:server:command", fn)`. Messages never
 * carry a password: PASS is masked (`PASS ****`) and the authenticator's input is not published.
 */
export const CHANNELS = Object.freeze({
  session: "ftp:server:session",
  command: "ftp:server:command",
  reply: "ftp:server:reply",
});

/** A message on `ftp:server:session`. */
export type SessionMessage =
  | { readonly type: "listening"; readonly address: string; readonly port: number }
  | {
      readonly type: "connect";
      readonly connectionId: number;
      readonly remoteAddress: string;
      readonly remotePort: number;
    }
  | { readonly type: "refused"; readonly connectionId: number; readonly remoteAddress: string; readonly reason: string }
  | { readonly type: "offence"; readonly remoteAddress: string; readonly kind: string }
  | { readonly type: "ban"; readonly remoteAddress: string; readonly until: number; readonly count: number }
  | { readonly type: "unban"; readonly remoteAddress: string; readonly reason: string }
  | { readonly type: "login"; readonly connectionId: number; readonly user: string }
  | { readonly type: "login-failed"; readonly connectionId: number; readonly user: string; readonly attempts: number }
  | { readonly type: "passive-open"; readonly connectionId: number; readonly host: string; readonly port: number }
  | {
      readonly type: "foreign-data-peer";
      readonly connectionId: number;
      readonly remoteAddress: string;
      readonly expected: string;
    }
  | { readonly type: "transfer-start"; readonly connectionId: number; readonly kind: string; readonly path: string }
  | {
      readonly type: "transfer-end";
      readonly connectionId: number;
      readonly kind: string;
      readonly path: string;
      readonly ok: boolean;
      readonly error?: string;
      readonly bytes: number;
    }
  | {
      /** A TLS handshake completed (control: after AUTH or on the implicit port; data: under PROT P). */
      readonly type: "tls";
      readonly connectionId: number;
      readonly channel: "control" | "data";
      readonly protocol: string;
      readonly cipher: string;
      /** The handshake resumed a session of this control connection. */
      readonly resumed: boolean;
    }
  | {
      readonly type: "tls-failed";
      readonly connectionId: number;
      readonly channel: "control" | "data";
      readonly reason: "failed" | "timeout" | "closed" | "aborted";
    }
  /** CCC (RFC 4217 §5): TLS on the control connection ended, the connection goes on in clear text. */
  | { readonly type: "tls-cleared"; readonly connectionId: number }
  | { readonly type: "protocol-error"; readonly connectionId: number; readonly code: string }
  | { readonly type: "socket-error"; readonly connectionId: number; readonly code: string | undefined }
  | {
      readonly type: "close";
      readonly connectionId: number;
      readonly reason: CloseReason | "socket-closed" | "aborted";
    }
  | {
      /** A trusted proxy's PROXY protocol header was read; `remoteAddress` is the client it relays (or the proxy's own for LOCAL/UNKNOWN). */
      readonly type: "proxy-header";
      readonly connectionId: number;
      readonly channel: "control" | "data";
      readonly proxyAddress: string;
      readonly version: 1 | 2;
      readonly remoteAddress: string;
      readonly remotePort: number;
    }
  | {
      /** A trusted proxy's connection closed unanswered: no valid header (`invalid`), none in time (`timeout`), or gone first (`closed`). */
      readonly type: "proxy-header-failed";
      readonly connectionId: number;
      readonly channel: "control" | "data";
      readonly proxyAddress: string;
      readonly reason: "invalid" | "timeout" | "closed";
      readonly detail?: string;
    }
  | { readonly type: "shutdown"; readonly connections: number }
  | { readonly type: "warning"; readonly code: string; readonly message: string };

/** A message on `ftp:server:command`: the command as it may be logged. */
export interface CommandMessage {
  readonly connectionId: number;
  readonly verb: string;
  /** The line, with the PASS argument masked. */
  readonly line: string;
}

/** A message on `ftp:server:reply`. */
export interface ReplyMessage {
  readonly connectionId: number;
  readonly code: number;
  readonly lines: readonly string[];
}

const session = diagnosticsChannel.channel(CHANNELS.session);
const command = diagnosticsChannel.channel(CHANNELS.command);
const reply = diagnosticsChannel.channel(CHANNELS.reply);

/** @internal */
export function publishSession(message: SessionMessage): void {
  if (session.hasSubscribers) session.publish(message);
}

/** @internal */
export function publishCommand(message: CommandMessage): void {
  if (command.hasSubscribers) command.publish(message);
}

/** @internal */
export function publishReply(message: ReplyMessage): void {
  if (reply.hasSubscribers) reply.publish(message);
}

/** @internal */
export function commandChannelActive(): boolean {
  return command.hasSubscribers;
}
