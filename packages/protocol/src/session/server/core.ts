import type { HostPort } from "../../address/index.js";
import { CommandDecoder, type Verb } from "../../command/index.js";
import { LocalProtocolError } from "../../errors/index.js";
import { resolveVirtualPath } from "../../path/index.js";
import { encodeReply } from "../../reply/index.js";
import { isReplyAllowed } from "../../sequence/index.js";
import { type StorageErrorKind, storageErrorReply } from "../storage-errors.js";
import { initialState, type SessionState } from "./state.js";
import type {
  AuthResult,
  CloseReason,
  HashAlgorithm,
  ServerEvent,
  ServerSessionOptions,
  StorageRequest,
  StorageResult,
  StorageValue,
  TransferRequest,
} from "./types.js";

/** Options with defaults applied. @internal */
export interface ResolvedOptions {
  readonly peerAddress: string;
  readonly family: 4 | 6;
  readonly greeting: readonly string[];
  readonly tlsAvailable: boolean;
  readonly requireTlsForControl: boolean;
  readonly requireTlsForData: boolean;
  readonly allowCcc: boolean;
  /** The control connection was TLS from the start (implicit FTPS): CCC is not offered there. */
  readonly implicitTls: boolean;
  readonly idleTimeout: number;
  readonly loginTimeout: number;
  readonly maxLoginAttempts: number;
  readonly failedLoginDelay: number;
  readonly maxQueuedCommands: number;
  readonly lineTimeout: number;
  readonly commandRate: number;
  readonly commandBurst: number;
  readonly floodTimeout: number;
  readonly hashAlgorithms: readonly HashAlgorithm[];
  readonly virtualHosts: readonly string[] | undefined;
  readonly chmod: boolean;
  readonly systemType: string;
}

/** @internal */
export function resolveOptions(o: ServerSessionOptions): ResolvedOptions {
  const greeting = o.greeting ?? "ftpkit ready.";
  return {
    peerAddress: o.peerAddress,
    family: o.family ?? (o.peerAddress.includes(":") && !o.peerAddress.startsWith("::ffff:") ? 6 : 4),
    greeting: typeof greeting === "string" ? [greeting] : [...greeting],
    tlsAvailable: o.tls?.available ?? false,
    requireTlsForControl: o.tls?.requireForControl ?? false,
    requireTlsForData: o.tls?.requireForData ?? false,
    allowCcc: o.tls?.allowCcc ?? false,
    implicitTls: o.secure ?? false,
    idleTimeout: o.idleTimeout ?? 300_000,
    loginTimeout: o.loginTimeout ?? 60_000,
    maxLoginAttempts: o.maxLoginAttempts ?? 3,
    failedLoginDelay: o.failedLoginDelay ?? 1000,
    maxQueuedCommands: o.maxQueuedCommands ?? 64,
    lineTimeout: o.lineTimeout ?? 30_000,
    commandRate: o.commandRate ?? 0,
    commandBurst: Math.max(1, o.commandBurst ?? 2 * (o.commandRate ?? 0)),
    floodTimeout: o.floodTimeout ?? 10_000,
    hashAlgorithms: o.hashAlgorithms ?? ["SHA-256", "SHA-1", "MD5", "CRC32"],
    virtualHosts: o.virtualHosts?.map((h) => h.toLowerCase()),
    chmod: o.chmod ?? false,
    systemType: o.systemType ?? "UNIX Type: L8",
  };
}

/**
 * The reply for a storage error answering `verb`. The kinds map to codes through one table
 * (STORAGE_ERROR_REPLIES), but RFC 959 §5.4 does not allow every code for every command:
 * MKD may get 550 but not 451, STAT 450 but not 451. When the table's code is not allowed,
 * a transient error becomes 450 (if allowed) and anything else 550, keeping the text.
 * @internal
 */
export function storageErrorReplyFor(verb: Verb | undefined, kind: StorageErrorKind): { code: number; text: string } {
  const r = storageErrorReply(kind);
  if (verb === undefined || isReplyAllowed(verb, r.code)) return r;
  if (r.code < 500 && isReplyAllowed(verb, 450)) return { code: 450, text: r.text };
  if (isReplyAllowed(verb, 550)) return { code: 550, text: r.text };
  return r;
}

/** A request waiting for the I/O layer. @internal */
export type Pending =
  | { kind: "auth"; id: number; onResult: (r: AuthResult) => void }
  | { kind: "storage"; id: number; onResult: (r: StorageResult) => void }
  | { kind: "passive"; id: number; onResult: (r: PassiveResult) => void }
  | { kind: "secure"; id: number; onResult: (ok: boolean) => void }
  | { kind: "clear"; id: number; onResult: (ok: boolean) => void }
  | { kind: "delay"; release: number; onRelease: () => void }
  | { kind: "transfer"; id: number; transfer: RunningTransfer };

export type PassiveResult = { readonly ok: true; readonly address: HostPort } | { readonly ok: false };

/** A transfer handed to the I/O layer. @internal */
export interface RunningTransfer {
  readonly id: number;
  readonly request: TransferRequest;
  started: boolean;
  abortRequested: boolean;
  quitAfter: boolean;
}

/**
 * The mutable heart of a server session: state, the outgoing event queue, pending
 * requests and helpers the verb handlers use. Not exported from the package.
 * @internal
 */
export class SessionCore {
  readonly options: ResolvedOptions;
  readonly decoder: CommandDecoder;
  state: SessionState;
  now: number;
  readonly connectedAt: number;
  lastActivity: number;
  pending: Pending | undefined;
  closed = false;
  /** The server is shutting down: close with 421 once nothing is pending. */
  shuttingDown = false;
  private events: ServerEvent[] = [];
  private eventHead = 0;
  private nextId = 1;

  constructor(options: ServerSessionOptions, maxLineLength: number | undefined) {
    this.options = resolveOptions(options);
    this.decoder = new CommandDecoder(maxLineLength === undefined ? {} : { maxLineLength });
    this.state = initialState(options.secure ?? false);
    this.now = options.now;
    this.connectedAt = options.now;
    this.lastActivity = options.now;
  }

  // ---- output -------------------------------------------------------------

  emit(event: ServerEvent): void {
    this.events.push(event);
  }

  takeEvent(): ServerEvent | undefined {
    if (this.eventHead >= this.events.length) return undefined;
    const event = this.events[this.eventHead++] as ServerEvent;
    if (this.eventHead > 64 && this.eventHead * 2 > this.events.length) {
      this.events = this.events.slice(this.eventHead);
      this.eventHead = 0;
    }
    return event;
  }

  /** Queues a reply (RFC 959 §4.2); the text never contains host paths. */
  reply(code: number, lines: string | readonly string[]): void {
    // Text that may echo client input must never break the reply framing (RFC 959 §4.2).
    const list = (typeof lines === "string" ? [lines] : lines).map((l) => l.replace(/[\r\n\0]/g, "?"));
    this.emit({ type: "reply", code, lines: list, bytes: encodeReply(code, list) });
  }

  /** The canonical verb of the command being answered (set by dispatch). */
  verb: Verb | undefined;

  /** The reply a storage error gets, kept inside the sequence table of the command being answered. */
  replyStorageError(kind: StorageErrorKind, verb: Verb | undefined = this.verb): void {
    const r = storageErrorReplyFor(verb, kind);
    this.reply(r.code, r.text);
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = undefined;
    this.emit({ type: "close", reason });
  }

  // ---- requests -----------------------------------------------------------

  private id(): number {
    return this.nextId++;
  }

  authenticate(user: string, password: string, onResult: (r: AuthResult) => void): void {
    const id = this.id();
    this.pending = { kind: "auth", id, onResult };
    this.emit({ type: "authenticate", id, user, password });
  }

  storage<R extends StorageRequest>(request: R, onResult: (r: StorageResult<StorageValue[R["op"]]>) => void): void {
    const id = this.id();
    this.pending = { kind: "storage", id, onResult: onResult as (r: StorageResult) => void };
    this.emit({ type: "storage", id, request });
  }

  openPassive(family: 4 | 6, onResult: (r: PassiveResult) => void): void {
    const id = this.id();
    this.pending = { kind: "passive", id, onResult };
    this.emit({ type: "open-passive", id, family });
  }

  secureControl(onResult: (ok: boolean) => void): void {
    const id = this.id();
    this.pending = { kind: "secure", id, onResult };
    this.emit({ type: "secure-control", id });
  }

  clearControl(onResult: (ok: boolean) => void): void {
    const id = this.id();
    this.pending = { kind: "clear", id, onResult };
    this.emit({ type: "clear-control", id });
  }

  transfer(request: TransferRequest): void {
    const id = this.id();
    const transfer: RunningTransfer = { id, request, started: false, abortRequested: false, quitAfter: false };
    this.pending = { kind: "transfer", id, transfer };
    this.emit({ type: "transfer", id, request });
  }

  delay(release: number, onRelease: () => void): void {
    this.pending = { kind: "delay", release, onRelease };
  }

  /** Drops any data connection set-up (passive listener or PORT target). */
  dropDataSetup(): void {
    if (this.state.data?.mode === "passive") this.emit({ type: "close-data" });
    this.state.data = undefined;
  }

  // ---- helpers ------------------------------------------------------------

  /**
   * Whether transfers must use PROT P (RFC 4217 §9): the logged-in account's policy when it
   * has one, else the server's.
   */
  get dataProtectionRequired(): boolean {
    return this.state.requireSecureData ?? this.options.requireTlsForData;
  }

  /**
   * Resolves a pathname argument against the working directory inside the virtual root.
   * Replies and returns undefined when the path is not acceptable.
   */
  resolvePath(argument: string | undefined): string | undefined {
    try {
      return resolveVirtualPath(this.state.cwd, argument ?? "");
    } catch (error) {
      if (LocalProtocolError.isInstance(error)) {
        if (error.code === "FTP_ERR_PATH_TOO_LONG") {
          // RFC 959 §4.2.2: 553 "File name not allowed" where the command may get it (STOR,
          // RNTO, ...); 550 or 501 elsewhere (RFC 959 §5.4 allows no 553 for CWD, SIZE, ...).
          const verb = this.verb;
          const code = verb === undefined || isReplyAllowed(verb, 553) ? 553 : isReplyAllowed(verb, 550) ? 550 : 501;
          this.reply(code, "File name too long.");
        } else this.reply(501, "Invalid pathname.");
        return undefined;
      }
      throw error;
    }
  }

  resetForRein(): void {
    const secure = this.state.secure;
    const prot = this.state.prot;
    const pbsz = this.state.pbsz;
    this.dropDataSetup();
    this.state = initialState(secure);
    this.state.prot = prot;
    this.state.pbsz = pbsz;
  }
}
