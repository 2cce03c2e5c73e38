/**
 * One browser session: its cookie id and CSRF token, at most one FTP Client, the events
 * the page has not necessarily seen yet, and the page's open event streams.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { Client, FtpCommandMessage, FtpReplyMessage } from "@ftpkit/client";
import type { GatewayEvent } from "../shared/api.js";
import type { TranscriptSink } from "./transcript.js";

/** Events kept for a page that (re)opens its stream. */
const HISTORY = 1000;
/** A download ticket is good for this long, once. */
const TICKET_TTL = 60_000;

type EventBody<E> = E extends GatewayEvent ? Omit<E, "seq" | "time"> : never;
export type NewEvent = EventBody<GatewayEvent>;

/** A transfer being reported to the page. */
export interface TransferReport {
  progress(bytes: number, total: number | undefined): void;
  done(bytes: number): void;
  failed(bytes: number, message: string): void;
}

const DATA_MODE = /^(EPSV|PASV|EPRT|PORT)\b/i;

/** Masks the argument of PASS even if a message ever arrived unmasked (defence in depth). */
export function maskCommand(text: string): string {
  return /^PASS(\s|$)/i.test(text) ? "PASS ****" : text;
}

export class DemoSession implements TranscriptSink {
  readonly id = randomBytes(24).toString("base64url");
  readonly token = randomBytes(24).toString("base64url");
  lastSeen = Date.now();
  client: Client | undefined;
  server: string | undefined;
  user: string | undefined;
  cwd: string | undefined;
  secure = false;
  /** How the last data connection was opened (EPSV, PASV, ...), from the transcript. */
  dataMode: string | undefined;
  private seq = 0;
  private transferIds = 0;
  private readonly history: GatewayEvent[] = [];
  private readonly streams = new Set<ServerResponse>();
  private readonly tickets = new Map<string, { path: string; size: number | undefined; expires: number }>();

  /** The last event's number. */
  get lastSeq(): number {
    return this.seq;
  }

  touch(): void {
    this.lastSeen = Date.now();
  }

  /** Calls running now: a session is never idle while one runs (a long upload keeps it alive). */
  private active = 0;

  begin(): void {
    this.active++;
    this.touch();
  }

  end(): void {
    this.active--;
    this.touch();
  }

  /** Idle (no call running) for longer than `ttl` ms. */
  expired(ttl: number, now = Date.now()): boolean {
    return this.active === 0 && now - this.lastSeen > ttl;
  }

  hasToken(candidate: string | undefined): boolean {
    if (candidate === undefined) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  // ---- events ---------------------------------------------------------------

  emit(body: NewEvent): void {
    const event = { ...body, seq: ++this.seq, time: Date.now() } as GatewayEvent;
    this.history.push(event);
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    const frame = `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    for (const res of this.streams) res.write(frame);
  }

  /** Attaches an SSE response; replays the events after `lastSeq`. */
  addStream(res: ServerResponse, lastSeq: number): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(": ftpkit web demo events\n\n");
    for (const event of this.history) {
      if (event.seq > lastSeq) res.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    }
    this.streams.add(res);
    res.on("close", () => this.streams.delete(res));
  }

  /** Comment frames keep idle streams from being cut by proxies and tell a dead page apart. */
  ping(): void {
    for (const res of this.streams) res.write(": ping\n\n");
  }

  endStreams(): void {
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  onCommand(message: FtpCommandMessage): void {
    const text = maskCommand(message.command);
    const mode = DATA_MODE.exec(text)?.[1];
    if (mode !== undefined) this.dataMode = mode.toUpperCase();
    this.emit({ type: "command", connection: message.connectionId, text });
  }

  onReply(message: FtpReplyMessage): void {
    this.emit({
      type: "reply",
      connection: message.connectionId,
      code: message.reply.code,
      lines: [...message.reply.lines],
      command: message.command === undefined ? undefined : maskCommand(message.command),
    });
  }

  /** Starts reporting a transfer: a `running` event now, then at most four progress events a second. */
  transfer(direction: "upload" | "download", path: string, total: number | undefined): TransferReport {
    const id = ++this.transferIds;
    const started = performance.now();
    let lastEmit = 0;
    const send = (state: "running" | "done" | "failed", bytes: number, size: number | undefined, error?: string) => {
      const seconds = (performance.now() - started) / 1000;
      this.emit({
        type: "transfer",
        id,
        direction,
        path,
        state,
        mode: this.dataMode,
        bytes,
        total: size,
        rate: seconds > 0 ? bytes / seconds : 0,
        ...(error === undefined ? {} : { error }),
      });
    };
    this.dataMode = undefined;
    send("running", 0, total);
    return {
      progress: (bytes, size) => {
        const now = performance.now();
        if (now - lastEmit < 250) return;
        lastEmit = now;
        send("running", bytes, size ?? total);
      },
      done: (bytes) => send("done", bytes, total ?? bytes),
      failed: (bytes, message) => send("failed", bytes, total, message),
    };
  }

  // ---- download tickets -------------------------------------------------------

  issueTicket(path: string, size: number | undefined): string {
    const now = Date.now();
    for (const [key, t] of this.tickets) if (t.expires < now) this.tickets.delete(key);
    const ticket = randomBytes(18).toString("base64url");
    this.tickets.set(ticket, { path, size, expires: now + TICKET_TTL });
    return ticket;
  }

  /** Takes a ticket (each works once). */
  redeemTicket(ticket: string): { path: string; size: number | undefined } | undefined {
    const t = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    return t !== undefined && t.expires >= Date.now() ? t : undefined;
  }

  // ---- the FTP connection -------------------------------------------------------

  /** Closes the FTP connection (QUIT when it answers in time). */
  async disconnect(message?: string): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.server = undefined;
    this.user = undefined;
    this.cwd = undefined;
    this.secure = false;
    this.tickets.clear();
    if (client !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        client.close().catch(() => undefined),
        new Promise((resolve) => {
          timer = setTimeout(resolve, 3000);
        }),
      ]);
      clearTimeout(timer);
      this.emit({ type: "status", connected: false, ...(message === undefined ? {} : { message }) });
    }
  }
}
