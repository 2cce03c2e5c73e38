import { EventEmitter } from "node:events";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { hostname } from "node:os";
import type { TLSSocket } from "node:tls";
import { safeNormalizeIp } from "@ftpkit/protocol";
import type { Authenticator } from "./account.js";
import { createUsersAuthenticator, loadUsersFile, type UserEntry } from "./auth/users.js";
import { Connection, type ConnectionHost } from "./connection.js";
import { PortPool } from "./data/port-pool.js";
import { Defender, type OffenceKind } from "./defender/defender.js";
import { publishSession } from "./diagnostics.js";
import { FtpServerError } from "./errors/index.js";
import type { FtpServerEvents, RefusalReason, ServerWarning } from "./events.js";
import type { FileSystem } from "./fs/file-system.js";
import { LocalFileSystem } from "./fs/index.js";
import { type FtpServerOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { readProxyHeader } from "./proxy/read-proxy-header.js";
import { TrustedProxies } from "./proxy/trusted-proxies.js";
import { QuotaLedger } from "./quota.js";
import { type CertificateInfo, ServerTls } from "./tls/server-tls.js";
import type { SessionTls } from "./tls/session-tls.js";

export interface CloseOptions {
  /**
   * ms running transfers may take to finish (default 10000). Idle sessions get 421 at once;
   * sessions with a transfer get their 226 (or, past the deadline, 426) and then 421.
   */
  readonly deadline?: number;
}

/** A relayed client's endpoint, from a trusted proxy's PROXY protocol header. */
interface Peer {
  readonly address: string;
  readonly port: number;
}

/** After the deadline and the aborts, how long sessions get to send 426/421 before their sockets are destroyed. */
const ABORT_GRACE_MS = 1000;

/** The 421 text of a banned address (the same at accept and for sessions cut by a new ban). */
const BANNED_TEXT = "Too many errors from your address, try again later.";

const REFUSAL_TEXT: Readonly<Record<RefusalReason, string>> = {
  banned: BANNED_TEXT,
  "max-connections": "Too many connections, try again later.",
  "max-connections-per-ip": "Too many connections from your address, try again later.",
  shutdown: "Server shutting down.",
};

/**
 * An FTP server (RFC 959 and extensions) on @ftpkit/protocol's server session.
 *
 * ```ts
 * const server = new FtpServer({ port: 2121, authenticate: async ({ user }) => ({ fs: new MemoryFileSystem() }) });
 * const { port } = await server.listen();
 * server.on("upload", (e) => console.log(e.path, e.bytes));
 * await server.close();
 * ```
 *
 * Events ({@link FtpServerEvents}) are emitted once each and only after the action really
 * completed. `error` is emitted only if a listener is attached; a client can never crash the
 * process. Logs: subscribe to the `ftp:server:*` diagnostics channels.
 */
export class FtpServer extends EventEmitter<FtpServerEvents> {
  private readonly options: ResolvedOptions;
  private readonly ports: PortPool;
  private readonly host: ConnectionHost;
  private server: Server | undefined;
  private implicitServer: Server | undefined;
  private tls: ServerTls | undefined;
  /** Implicit-FTPS sockets whose handshake runs (not yet connections). */
  private readonly handshakes = new Set<Socket>();
  /** `proxyProtocol.trustedProxies`, or undefined: no header is ever parsed. */
  private readonly proxies: TrustedProxies | undefined;
  /** Sockets of trusted proxies whose PROXY header is being read (not yet connections). */
  private readonly proxyReads = new Set<Socket>();
  private authenticator: Authenticator | undefined;
  private readonly connections = new Set<Connection>();
  private readonly perIp = new Map<string, number>();
  private readonly perUser = new Map<string, number>();
  private accepted = 0;
  /** Connections waiting for the defender's ban check. */
  private checking = 0;
  /** Refused connections still sending their 421. */
  private refusing = 0;
  private readonly refusalCounts: Record<RefusalReason, number> = {
    banned: 0,
    "max-connections": 0,
    "max-connections-per-ip": 0,
    shutdown: 0,
  };
  /** Bans this process knows of (from `ban`/`unban`), checked before the store. */
  private readonly knownBans = new Map<string, number>();
  private expiryTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private readonly quotas = new QuotaLedger((cause) =>
    this.reportError(new FtpServerError("the quota usage store failed", { code: "FTP_ERR_QUOTA", cause })),
  );
  /**
   * The defender (on by default): scores, bans, `unban(address)`, `bans(now)`. Its `ban` and
   * `unban` events are also the server's.
   */
  readonly defender: Defender;

  /**
   * @throws ZodError for invalid options (every problem listed).
   */
  constructor(options: FtpServerOptions) {
    super();
    this.options = resolveOptions(options);
    this.ports = new PortPool(this.options.passive.portRange);
    const proxyProtocol = this.options.proxyProtocol;
    this.proxies = proxyProtocol === undefined ? undefined : new TrustedProxies(proxyProtocol.trustedProxies);
    const { store, ...defenderOptions } = this.options.defender;
    this.defender = new Defender(defenderOptions, store);
    this.defender.on("ban", (ban) => this.onBan(ban));
    this.defender.on("unban", (unban) => {
      this.knownBans.delete(unban.address);
      publishSession({ type: "unban", remoteAddress: unban.address, reason: unban.reason });
      this.host.emit("unban", unban);
    });
    this.host = this.makeHost();
  }

  /** Connections refused so far, by reason (a banned address, the limits, a shutdown). */
  get refusals(): Readonly<Record<RefusalReason, number>> {
    return { ...this.refusalCounts };
  }

  /**
   * Starts listening (loading the users file and the TLS certificate first, if given), on
   * `port` and, with `tls.implicitPort`, on the implicit FTPS port.
   * @returns the bound address of `port` (with the real port when it was 0); see
   *   `implicitAddress()` for the other.
   * @throws FtpServerError `FTP_ERR_LISTEN` (address in use, permission), `FTP_ERR_USERS_FILE`
   *   or `FTP_ERR_TLS_CERT` (certificate or key missing, unreadable, expired, mismatched).
   */
  async listen(): Promise<AddressInfo> {
    if (this.server !== undefined || this.closing !== undefined) throw new Error("FtpServer.listen: already started");
    this.authenticator = await this.buildAuthenticator();
    const tlsOptions = this.options.tls;
    if (tlsOptions !== undefined) {
      this.tls = await ServerTls.load(tlsOptions, [this.options.host, hostname()]);
      if (this.tls.selfSigned) this.warnSelfSigned(this.tls.certificate);
    }
    const { host, port } = this.options;
    const server = await this.bind(host, port, (socket) => this.acceptPlain(socket));
    this.server = server;
    const implicitPort = tlsOptions?.implicitPort;
    if (implicitPort !== undefined) {
      try {
        this.implicitServer = await this.bind(host, implicitPort, (socket) => this.acceptImplicit(socket));
      } catch (error) {
        this.server = undefined;
        await new Promise<void>((resolve) => server.close(() => resolve()));
        throw error;
      }
    }
    this.tls?.watch(
      (info) => this.emit("certificate", info),
      (error) => this.reportError(error),
    );
    if (this.defender.options.enabled) {
      // Bans that ran out are lifted (and `unban` emitted) even when the address never comes back.
      const every = Math.max(250, Math.min(60_000, Math.floor(this.defender.options.banTime / 4)));
      this.expiryTimer = setInterval(() => {
        this.defender.expire(Date.now()).catch((cause: unknown) => this.reportDefenderError(cause));
      }, every);
      this.expiryTimer.unref();
    }
    const address = server.address() as AddressInfo;
    publishSession({ type: "listening", address: address.address, port: address.port });
    this.emit("listening", address);
    const implicit = this.implicitAddress();
    if (implicit !== undefined) {
      publishSession({ type: "listening", address: implicit.address, port: implicit.port });
      this.emit("listening", implicit);
    }
    return address;
  }

  private async bind(host: string, port: number, onConnection: (socket: Socket) => void): Promise<Server> {
    const server = createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 });
    server.on("connection", onConnection);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ host, port }, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (cause) {
      server.close();
      throw new FtpServerError(`cannot listen on ${host} port ${port}`, { code: "FTP_ERR_LISTEN", cause });
    }
    server.on("error", (cause) =>
      this.reportError(new FtpServerError("listening socket error", { code: "FTP_ERR_LISTEN", cause })),
    );
    return server;
  }

  /** The bound address, or undefined before `listen()` and after `close()`. */
  address(): AddressInfo | undefined {
    const address = this.server?.address();
    return typeof address === "object" && address !== null ? address : undefined;
  }

  /** The implicit FTPS listener's address (`tls.implicitPort`), or undefined. */
  implicitAddress(): AddressInfo | undefined {
    const address = this.implicitServer?.address();
    return typeof address === "object" && address !== null ? address : undefined;
  }

  /** The certificate new TLS sessions get, or undefined without TLS (or before `listen()`). */
  get certificate(): CertificateInfo | undefined {
    return this.tls?.certificate;
  }

  /**
   * Re-reads the certificate and key files (a self-signed certificate is generated anew):
   * TLS sessions started from now on use them; running sessions keep their own. On failure
   * the current certificate stays. Emits `certificate`.
   * @throws FtpServerError `FTP_ERR_TLS_CERT`; Error when TLS is not configured or not started.
   */
  async reloadCertificate(): Promise<CertificateInfo> {
    const tls = this.tls;
    if (tls === undefined) throw new Error("FtpServer.reloadCertificate: TLS is not configured or not started");
    const info = await tls.reload();
    if (info.selfSigned) this.warnSelfSigned(info);
    this.emit("certificate", info);
    return info;
  }

  private warnSelfSigned(info: CertificateInfo): void {
    const message =
      "FTPS uses a SELF-SIGNED certificate generated at start: for LOCAL DEVELOPMENT ONLY. Clients cannot " +
      `tell this server from an impostor; do not use it on a network you do not control (SHA-256 ${info.fingerprint256}).`;
    const warning: ServerWarning = { code: "FTP_WARN_SELF_SIGNED", message, fingerprint256: info.fingerprint256 };
    publishSession({ type: "warning", code: warning.code, message });
    if (this.listenerCount("warning") > 0) this.emit("warning", warning);
    else process.emitWarning(message, { code: warning.code });
  }

  /** Open control connections (not counting those being refused). */
  get connectionCount(): number {
    let n = 0;
    for (const c of this.connections) if (!c.refused) n++;
    return n;
  }

  /** Passive listeners open right now (for leak checks). */
  get passiveListenerCount(): number {
    return this.ports.size;
  }

  /**
   * Graceful stop: stops accepting at once; idle sessions get 421; running transfers may
   * finish until `deadline` ms, then are aborted (426, then 421). Resolves once every socket,
   * listener, timer and file handle of the server is released.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options.deadline ?? 10_000);
    return this.closing;
  }

  private async shutdown(deadline: number): Promise<void> {
    const server = this.server;
    const implicitServer = this.implicitServer;
    const listenerClosed = Promise.all(
      [server, implicitServer].map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s === undefined) resolve();
            else s.close(() => resolve());
          }),
      ),
    );
    this.tls?.close();
    if (this.expiryTimer !== undefined) clearInterval(this.expiryTimer);
    this.expiryTimer = undefined;
    for (const socket of this.handshakes) socket.destroy();
    this.handshakes.clear();
    for (const socket of this.proxyReads) socket.destroy();
    this.proxyReads.clear();
    publishSession({ type: "shutdown", connections: this.connections.size });
    for (const c of this.connections) c.shutdown();
    if (!(await this.allClosedWithin(deadline))) {
      for (const c of this.connections) c.abortTransfer();
      if (!(await this.allClosedWithin(ABORT_GRACE_MS))) {
        for (const c of this.connections) c.destroy();
      }
    }
    await Promise.all([...this.connections].map((c) => c.closed));
    await listenerClosed;
    this.server = undefined;
    this.implicitServer = undefined;
    this.emit("close");
  }

  /** Waits for every connection to close, at most `ms`; never leaves a timer behind. */
  private async allClosedWithin(ms: number): Promise<boolean> {
    if (this.connections.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([Promise.all([...this.connections].map((c) => c.closed)).then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- connections ------------------------------------------------------------

  /** A connection on the explicit port: a trusted proxy's PROXY header first, if it is one. */
  private acceptPlain(socket: Socket): void {
    if (this.viaProxy(socket, "control", (peer, id) => this.accept(socket, undefined, id, peer))) return;
    this.accept(socket);
  }

  /**
   * With `proxyProtocol`: for a connection from a trusted proxy, reads its PROXY header before
   * anything else (no 220, no TLS handshake before it), then calls `next` with the relayed
   * client's endpoint (undefined for v1 UNKNOWN / v2 LOCAL or UNSPEC: the real one). A bad, missing
   * or late header closes the connection unanswered (proxy-protocol.txt §2.1, §2.2).
   * @returns false when the connection is not from a trusted proxy: its bytes are never parsed
   *   as a header, so a client cannot claim another address (spec §5).
   */
  private viaProxy(socket: Socket, channel: "control", next: (peer: Peer | undefined, id: number) => void): boolean {
    const proxies = this.proxies;
    const headerTimeout = this.options.proxyProtocol?.headerTimeout;
    if (proxies === undefined || headerTimeout === undefined || !proxies.has(socket.remoteAddress)) return false;
    const proxyAddress = safeNormalizeIp(socket.remoteAddress ?? "");
    // Header reads are bounded like handshakes: at most maxConnections at once.
    if (
      !proxyAddress.success ||
      this.closing !== undefined ||
      this.proxyReads.size >= this.options.limits.maxConnections
    ) {
      socket.destroy();
      return true;
    }
    const id = this.nextId++;
    this.proxyReads.add(socket);
    void readProxyHeader(socket, headerTimeout).then((outcome) => {
      this.proxyReads.delete(socket);
      if (!outcome.ok) {
        publishSession({
          type: "proxy-header-failed",
          connectionId: id,
          channel,
          proxyAddress: proxyAddress.value,
          reason: outcome.reason,
          ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
        });
        return;
      }
      if (this.closing !== undefined || socket.destroyed) {
        socket.destroy();
        return;
      }
      const a = outcome.header.addresses;
      const peer = a === undefined ? undefined : { address: a.sourceAddress, port: a.sourcePort };
      publishSession({
        type: "proxy-header",
        connectionId: id,
        channel,
        proxyAddress: proxyAddress.value,
        version: outcome.header.version,
        remoteAddress: peer?.address ?? proxyAddress.value,
        remotePort: peer?.port ?? socket.remotePort ?? 0,
      });
      next(peer, id);
    });
    return true;
  }

  /** Implicit FTPS: a trusted proxy's PROXY header comes before the TLS ClientHello. */
  private acceptImplicit(raw: Socket): void {
    if (this.viaProxy(raw, "control", (peer, id) => this.handshakeImplicit(raw, id, peer))) return;
    this.handshakeImplicit(raw, this.nextId++, undefined);
  }

  /**
   * Implicit FTPS: the TLS handshake comes first (no 220 before it), with this connection's
   * own SessionTls; then the connection starts as on the explicit port, already secure.
   * At most `maxConnections` handshakes run at once; the limits apply after the handshake.
   */
  private handshakeImplicit(raw: Socket, id: number, peer: Peer | undefined): void {
    const tls = this.tls;
    const limits = this.options.limits;
    // Handshakes are bounded like connections; a client over the limits gets its 421 over TLS.
    if (
      tls === undefined ||
      this.closing !== undefined ||
      this.handshakes.size >= limits.maxConnections ||
      this.knownBanned(peer?.address ?? raw.remoteAddress)
    ) {
      raw.destroy();
      return;
    }
    raw.on("error", () => {});
    const session = tls.createSession();
    this.handshakes.add(raw);
    session.handshake(raw, { timeout: limits.loginTimeout }).then(
      (secured) => {
        this.handshakes.delete(raw);
        if (this.closing !== undefined) {
          secured.destroy();
          return;
        }
        publishSession({
          type: "tls",
          connectionId: id,
          channel: "control",
          protocol: secured.getProtocol() ?? "unknown",
          cipher: secured.getCipher()?.name ?? "unknown",
          resumed: secured.isSessionReused(),
        });
        this.accept(secured, { socket: secured, tls: session, clear: raw }, id, peer);
      },
      (error: unknown) => {
        this.handshakes.delete(raw);
        const reason = (error as { reason?: "failed" | "timeout" | "closed" | "aborted" }).reason ?? "failed";
        publishSession({ type: "tls-failed", connectionId: id, channel: "control", reason });
      },
    );
  }

  private accept(
    socket: Socket,
    secure?: { socket: TLSSocket; tls: SessionTls; clear: Socket },
    givenId?: number,
    peer?: Peer,
  ): void {
    // Behind a trusted proxy, the relayed client is the remote address for everything below.
    const remote = peer?.address ?? socket.remoteAddress;
    const ip = remote === undefined ? undefined : safeNormalizeIp(remote);
    if (ip === undefined || !ip.success || this.authenticator === undefined) {
      socket.destroy();
      return;
    }
    const id = givenId ?? this.nextId++;
    const address = ip.value;
    const defender = this.defender;
    if (this.closing !== undefined || !defender.options.enabled || defender.isAllowed(address)) {
      this.admit(socket, address, id, false, secure, peer);
      return;
    }
    if (this.knownBanned(address)) {
      this.admit(socket, address, id, true, secure, peer);
      return;
    }
    // The ban check may ask a database: the socket waits unread (its errors swallowed), and
    // the checks in flight count towards maxConnections.
    if (this.checking + this.accepted >= this.options.limits.maxConnections) {
      this.admit(socket, address, id, false, secure, peer);
      return;
    }
    const swallow = () => {};
    socket.on("error", swallow);
    this.checking++;
    void this.checkBan(address).then((banned) => {
      this.checking--;
      socket.off("error", swallow);
      if (socket.destroyed) return;
      this.admit(socket, address, id, banned, secure, peer);
    });
  }

  /** Whether the store says `address` is banned, within `checkTimeout` (failing open). */
  private async checkBan(address: string): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => {
        this.reportDefenderError(new Error(`the ban check took over ${this.defender.options.checkTimeout} ms`));
        resolve(false);
      }, this.defender.options.checkTimeout);
    });
    try {
      return await Promise.race([
        this.defender.isBanned(address, Date.now()).catch((cause: unknown) => {
          this.reportDefenderError(cause);
          return false;
        }),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private knownBanned(remoteAddress: string | undefined): boolean {
    if (remoteAddress === undefined || this.knownBans.size === 0) return false;
    const ip = safeNormalizeIp(remoteAddress);
    if (!ip.success) return false;
    const until = this.knownBans.get(ip.value);
    if (until === undefined) return false;
    if (until > Date.now()) return !this.defender.isAllowed(ip.value);
    this.knownBans.delete(ip.value);
    return false;
  }

  /** Takes the connection in, or refuses it with 421 (RFC 959 §5.4 "120, 220, 421"). */
  private admit(
    socket: Socket,
    address: string,
    id: number,
    banned: boolean,
    secure: { socket: TLSSocket; tls: SessionTls; clear: Socket } | undefined,
    peer?: Peer,
  ): void {
    const limits = this.options.limits;
    let refusal: RefusalReason | undefined;
    if (this.closing !== undefined) refusal = "shutdown";
    else if (banned) refusal = "banned";
    else if (this.accepted >= limits.maxConnections) refusal = "max-connections";
    else if ((this.perIp.get(address) ?? 0) >= limits.maxConnectionsPerIp) refusal = "max-connections-per-ip";
    if (refusal !== undefined) {
      this.refusalCounts[refusal]++;
      // Over the limit from one address is scored (a crowded server is nobody's fault).
      if (refusal === "max-connections-per-ip") this.offence(address, "over-limit");
      publishSession({ type: "refused", connectionId: id, remoteAddress: address, reason: REFUSAL_TEXT[refusal] });
      this.emit("refused", { remoteAddress: address, reason: refusal });
      // Refusals cost a socket each until the client reads its 421: at most maxConnections of
      // them at once; beyond, a connection is just closed.
      if (this.refusing >= limits.maxConnections) {
        socket.destroy();
        return;
      }
      this.refusing++;
    }
    const connection = new Connection(this.host, id, socket, {
      ...(refusal === undefined ? {} : { refuse: REFUSAL_TEXT[refusal] }),
      ...(secure === undefined ? {} : { secure }),
      ...(peer === undefined ? {} : { peer }),
    });
    this.connections.add(connection);
    if (refusal !== undefined) return;
    this.accepted++;
    this.perIp.set(address, (this.perIp.get(address) ?? 0) + 1);
    publishSession({ type: "connect", connectionId: id, remoteAddress: address, remotePort: connection.remotePort });
    this.emit("connect", { connectionId: id, remoteAddress: address, remotePort: connection.remotePort });
  }

  private onBan(ban: { address: string; until: Date; score: number; count: number }): void {
    this.knownBans.set(ban.address, ban.until.getTime());
    publishSession({ type: "ban", remoteAddress: ban.address, until: ban.until.getTime(), count: ban.count });
    this.host.emit("ban", ban);
    // A ban ends the address's sessions too (logged in or not), as a firewall rule would.
    for (const c of this.connections) {
      if (!c.refused && c.remoteAddress === ban.address) c.disconnect(BANNED_TEXT);
    }
  }

  private offence(address: string, kind: OffenceKind): void {
    const defender = this.defender;
    if (!defender.options.enabled) return;
    publishSession({ type: "offence", remoteAddress: address, kind });
    defender.record(address, kind, Date.now()).catch((cause: unknown) => this.reportDefenderError(cause));
  }

  private reportDefenderError(cause: unknown): void {
    this.reportError(new FtpServerError("the defender's store failed", { code: "FTP_ERR_DEFENDER", cause }));
  }

  private makeHost(): ConnectionHost {
    const self = this;
    return {
      options: this.options,
      get tls() {
        return self.tls;
      },
      authenticate: (request) => {
        const authenticate = this.authenticator;
        if (authenticate === undefined) return null;
        return authenticate(request);
      },
      ports: this.ports,
      proxies: this.proxies,
      emit: (event, ...args) => {
        try {
          (this.emit as (event: string, ...args: unknown[]) => boolean)(event, ...args);
        } catch (cause) {
          // An embedder's listener threw: the connection goes on. With an `error` listener the
          // bug is reported there; without one it is rethrown outside our I/O code, as Node does.
          const error = new FtpServerError(`a listener of "${event}" threw`, { code: "FTP_ERR_LISTENER", cause });
          if (this.listenerCount("error") > 0) this.emit("error", error);
          else
            process.nextTick(() => {
              throw cause;
            });
        }
      },
      reportError: (error) => this.reportError(error),
      claimSession: (user, max) => {
        const n = this.perUser.get(user) ?? 0;
        if (max !== undefined && n >= max) return false;
        this.perUser.set(user, n + 1);
        return true;
      },
      releaseSession: (user) => {
        const n = (this.perUser.get(user) ?? 1) - 1;
        if (n <= 0) this.perUser.delete(user);
        else this.perUser.set(user, n);
      },
      offence: (address, kind) => this.offence(address, kind),
      quotas: this.quotas,
      connectionClosed: (connection) => {
        if (!this.connections.delete(connection)) return;
        if (connection.refused) {
          this.refusing--;
          return;
        }
        this.accepted--;
        const n = (this.perIp.get(connection.remoteAddress) ?? 1) - 1;
        if (n <= 0) this.perIp.delete(connection.remoteAddress);
        else this.perIp.set(connection.remoteAddress, n);
      },
    };
  }

  private reportError(error: FtpServerError): void {
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  private async buildAuthenticator(): Promise<Authenticator> {
    const o = this.options;
    if (o.authenticate !== undefined) return o.authenticate;
    const users: Record<string, string | UserEntry> =
      typeof o.users === "string" ? await loadUsersFile(o.users) : ((o.users ?? {}) as Record<string, UserEntry>);
    const root = o.root;
    const needsRoot = Object.entries(users).filter(([, e]) => typeof e === "string" || e.root === undefined);
    if (root === undefined && (needsRoot.length > 0 || o.anonymous)) {
      const who = needsRoot[0]?.[0] ?? "anonymous";
      throw new FtpServerError(`user ${JSON.stringify(who)} has no root: give the server a \`root\``, {
        code: "FTP_ERR_USERS_FILE",
      });
    }
    return createUsersAuthenticator({
      users,
      anonymous: o.anonymous,
      fileSystem: (user, entry): FileSystem => {
        if (entry?.root !== undefined) return new LocalFileSystem(entry.root);
        if (typeof root === "string") return new LocalFileSystem(root);
        if (typeof root === "function") return root(user);
        if (root !== undefined) return root;
        throw new Error("no root");
      },
    });
  }
}
