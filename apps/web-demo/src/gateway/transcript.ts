/**
 * Routes the client's `node:diagnostics_channel` messages (`ftp:client:command`,
 * `ftp:client:reply`) to the browser session whose Client wrote or read them.
 *
 * The messages name the control connection by `connectionId` (a per-process counter), but a
 * Client does not expose the id of its connection. So the gateway runs every call it makes
 * on a session's Client inside `AsyncLocalStorage.run(session)`: the socket, its timers and
 * every continuation are created in that context, so a message published while the store
 * is set belongs to that session, and its `connectionId` is remembered for the rare
 * message published outside any context. Messages of Clients this router does not know
 * (another gateway in the same process, other code) are ignored.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import diagnosticsChannel from "node:diagnostics_channel";
import type { FtpCommandMessage, FtpReplyMessage } from "@ftpkit/client";

export interface TranscriptSink {
  onCommand(message: FtpCommandMessage): void;
  onReply(message: FtpReplyMessage): void;
}

export class TranscriptRouter {
  private readonly context = new AsyncLocalStorage<TranscriptSink>();
  private readonly connections = new Map<number, TranscriptSink>();
  private started = false;

  private readonly commandListener = (message: unknown): void => {
    const m = message as FtpCommandMessage;
    this.sinkFor(m.connectionId)?.onCommand(m);
  };

  private readonly replyListener = (message: unknown): void => {
    const m = message as FtpReplyMessage;
    this.sinkFor(m.connectionId)?.onReply(m);
  };

  start(): void {
    if (this.started) return;
    this.started = true;
    diagnosticsChannel.subscribe("ftp:client:command", this.commandListener);
    diagnosticsChannel.subscribe("ftp:client:reply", this.replyListener);
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    diagnosticsChannel.unsubscribe("ftp:client:command", this.commandListener);
    diagnosticsChannel.unsubscribe("ftp:client:reply", this.replyListener);
    this.connections.clear();
  }

  /** Runs `fn` (a call on the sink's Client) so that what its connection says reaches the sink. */
  run<T>(sink: TranscriptSink, fn: () => T): T {
    return this.context.run(sink, fn);
  }

  /** Forgets a closed session's connections. */
  forget(sink: TranscriptSink): void {
    for (const [id, s] of this.connections) if (s === sink) this.connections.delete(id);
  }

  private sinkFor(connectionId: number): TranscriptSink | undefined {
    const known = this.connections.get(connectionId);
    if (known !== undefined) return known;
    const current = this.context.getStore();
    if (current !== undefined) this.connections.set(connectionId, current);
    return current;
  }
}
