/**
 * Data connections (RFC 959 §3.2, RFC 2428). The protocol core decodes the offers; this
 * module owns the sockets:
 *
 * - passive: EPSV first (RFC 2428 §3); when the server refuses it with a 5yz, PASV from then
 *   on for this client (remembered across reconnects). The 229 reply names only a port, so the host is the control peer.
 *   A 227 address other than the control peer is ignored unless `trustPasvAddress` is set:
 *   a hostile server (or a man in the middle) could otherwise send our data connection to
 *   any host (the PASV-redirect attack; curl and CPython's ftplib do the same);
 * - active: listen on the control connection's local address (or `activeAddress`), on a
 *   port from `activePortRange`, announce it with EPRT (RFC 2428 §2), or PORT when the
 *   server refuses EPRT, and accept only a connection from the control peer (RFC 2577 §3).
 *
 * FTPS with PROT P: the client is the TLS client on the data connection in both modes
 * (RFC 4217 §7), and it starts the handshake once the server's 1yz reply arrived, as
 * Python's ftplib does: pyftpdlib drops a data connection on which the handshake starts before
 * the transfer command was read, and every server sends its 1yz before its side of the
 * handshake (vsftpd, ProFTPD, pure-ftpd, pyftpdlib, ftpkit). The handshake offers the control
 * connection's newest TLS session (transport/tls.ts).
 */
import net, { type Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import {
  encodeEprtArgument,
  encodeHostPort,
  isIPv4,
  isUnspecified,
  normalizeIp,
  safeNormalizeIp,
  sameHost,
} from "@ftpkit/protocol";
import { FtpConnectionError } from "./errors/ftp-connection-error.js";
import { FtpTimeoutError } from "./errors/ftp-timeout-error.js";
import { abortReason, onAbort } from "./internal/abort.js";
import { type Deferred, deferred } from "./internal/deferred.js";
import { type Connection, check } from "./transport/connection.js";
import { startTls } from "./transport/tls.js";

/** Receives a download's bytes. */
export interface DataReader {
  /**
   * One chunk. When `owned` is false the bytes live in a reused buffer and are only valid
   * during the call. Return false to pause reading until {@link DataChannel.resume}.
   */
  data(chunk: Uint8Array, owned: boolean): boolean;
  /** The server closed the data connection (EOF). */
  end(): void;
  /** The data connection failed. */
  error(error: Error): void;
}

const READ_BUFFER_SIZE = 1024 * 1024;
const readBuffers = new WeakMap<Connection, Buffer>();

/** One reusable read buffer per connection: a connection runs one transfer at a time. */
function readBufferFor(connection: Connection): Buffer {
  let buffer = readBuffers.get(connection);
  if (buffer === undefined) {
    buffer = Buffer.allocUnsafe(READ_BUFFER_SIZE);
    readBuffers.set(connection, buffer);
  }
  return buffer;
}

/** What a data channel needs to know about the transfer it serves, once the command is sent. */
export interface TransferStart {
  /** The transfer command, as logged. */
  readonly label: string;
  /** The server's 1yz reply. */
  readonly preliminary: Promise<unknown>;
}

/** Secures a connected data socket (FTPS). */
type SecureData = (socket: Socket, start: TransferStart) => Promise<{ socket: TLSSocket; offered: boolean }>;

export class DataChannel {
  private socketValue: Socket | undefined;
  /** FTPS: the TCP socket under the TLS one (a reset goes there: a TLSSocket cannot reset). */
  private tcpSocket: Socket | undefined;
  private readonly pending: Promise<Socket>;
  private readonly cleanup: () => void;
  private reader: DataReader | undefined;
  private readonly viaOnread: boolean;
  private destroyed = false;
  /** FTPS: opened by {@link start}; the TLS handshake waits for it (and for the 1yz). */
  private readonly gate: Deferred<TransferStart> | undefined;
  /** FTPS: the data connection's TLS handshake failed (or timed out) with this. */
  handshakeError: unknown;
  /** FTPS: whether the data connection resumed the control connection's TLS session (once secured). */
  resumed: boolean | undefined;
  /** FTPS: whether a stored session was offered. */
  offered = false;
  /** Whether any byte arrived on the data connection. */
  received = false;
  /** FTPS: settles when the handshake finished or failed; undefined until it started. */
  handshake: Promise<void> | undefined;

  /**
   * @internal use {@link DataChannel.open}.
   * @param secure - runs the TLS handshake over the connected socket (FTPS, PROT P).
   */
  constructor(
    connected: Promise<Socket>,
    cleanup: () => void,
    reader: DataReader | undefined,
    viaOnread: boolean,
    secure?: SecureData,
  ) {
    this.cleanup = cleanup;
    this.reader = reader;
    this.viaOnread = viaOnread;
    if (secure === undefined) {
      this.pending = connected;
    } else {
      const gate = deferred<TransferStart>();
      this.gate = gate;
      this.pending = connected.then(async (socket) => {
        // Until the 1yz the socket has no reader; a reset then must not be an unhandled
        // 'error' (startTls reports the dead socket as a failed handshake).
        socket.on("error", () => {});
        this.tcpSocket = socket;
        const start = await gate.promise;
        const handshake = deferred<void>();
        this.handshake = handshake.promise;
        try {
          const secured = await secure(socket, start);
          this.offered = secured.offered;
          this.resumed = secured.socket.isSessionReused();
          return secured.socket;
        } catch (error) {
          // A data connection failure, not a local one: the server's reply still decides.
          this.handshakeError = error;
          if (!this.destroyed) this.reader?.error(error as Error);
          throw error;
        } finally {
          handshake.resolve();
        }
      });
      this.pending.catch(() => {});
    }
    this.pending.then(
      (socket) => this.attach(socket),
      () => {},
    );
  }

  /** True when this channel protects its data connection with TLS (PROT P). */
  get secure(): boolean {
    return this.gate !== undefined;
  }

  /**
   * The transfer command was sent: FTPS starts its handshake once the 1yz reply came (a
   * failed command never starts one). No-op without TLS.
   */
  start(transfer: TransferStart): void {
    const gate = this.gate;
    if (gate === undefined) return;
    transfer.preliminary.then(
      () => gate.resolve(transfer),
      () => {},
    );
  }

  /**
   * Prepares a data connection in the client's mode: passive connects now, active listens
   * and announces its address. Call before the transfer command.
   * @param reader - for downloads: where the bytes go (passive mode reads with `onread`
   *   into a reused buffer, shared/notes/node-throughput.md).
   */
  static async open(
    connection: Connection,
    reader: DataReader | undefined,
    signal?: AbortSignal,
  ): Promise<DataChannel> {
    if (connection.options.mode === "active") return openActive(connection, reader, signal);
    const { host, port } = await passiveAddress(connection, signal);
    let channel: DataChannel | undefined;
    const secure = secureData(connection, signal);
    // `onread` reads the TCP socket itself; over TLS the decrypted bytes come as 'data'.
    const onread =
      reader === undefined || secure !== undefined
        ? undefined
        : {
            buffer: readBufferFor(connection),
            callback: (bytes: number, buffer: Uint8Array): boolean => {
              if (channel !== undefined) channel.received = true;
              return channel?.reader?.data(buffer.subarray(0, bytes), false) ?? true;
            },
          };
    const socket = await connection.control.transport.connect({
      host,
      port,
      role: "data",
      timeout: connection.options.connectTimeout,
      signal,
      onread,
    });
    channel = new DataChannel(Promise.resolve(socket), () => socket.destroy(), reader, onread !== undefined, secure);
    return channel;
  }

  /**
   * The data socket once it is connected (active mode: once the server connected to us).
   * @throws FtpTimeoutError `FTP_ERR_CONNECT_TIMEOUT` when the server does not connect in time.
   */
  socket(): Promise<Socket> {
    return this.pending;
  }

  /** Resumes reading after {@link DataReader.data} returned false. */
  resume(): void {
    this.socketValue?.resume();
  }

  /**
   * Closes the data connection (and the active-mode listener).
   * @param reset - send a TCP reset rather than an orderly end, so the server sees a
   *   failure and not the end of a file.
   */
  destroy(reset = false): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.reader = undefined;
    this.gate?.reject(new FtpConnectionError("FTP_ERR_DATA_CONNECTION", "the data connection was closed"));
    const socket = this.socketValue;
    const tcp = this.tcpSocket ?? socket;
    if (reset && tcp !== undefined && !tcp.destroyed) tcp.resetAndDestroy();
    this.cleanup();
    socket?.destroy();
    this.tcpSocket?.destroy();
  }

  private attach(socket: Socket): void {
    this.socketValue = socket;
    if (this.destroyed) {
      socket.destroy();
      return;
    }
    let settled = false;
    socket.on("error", (error) => {
      if (settled) return;
      settled = true;
      this.reader?.error(error);
    });
    socket.on("end", () => {
      if (settled) return;
      settled = true;
      this.reader?.end();
    });
    socket.on("close", () => {
      if (settled) return;
      settled = true;
      this.reader?.error(new Error("the data connection closed without an end"));
    });
    // Passive downloads deliver through `onread`; accepted (active-mode) and TLS sockets emit 'data'.
    if (this.reader !== undefined && !this.viaOnread) {
      socket.on("data", (chunk: Buffer) => {
        this.received = true;
        if (this.reader?.data(chunk, true) === false) socket.pause();
      });
    }
    // Active-mode sockets are accepted paused, so no byte arrives before the listeners above.
    socket.resume();
  }
}

/**
 * With PROT P: the TLS client handshake for a data connection (RFC 4217 §7: also on an
 * accepted, active-mode one), resuming the control connection's newest session.
 */
function secureData(connection: Connection, signal: AbortSignal | undefined): SecureData | undefined {
  if (connection.protection !== "private") return undefined;
  const control = connection.control;
  return async (socket, start) => {
    const offered = control.tlsSessions.session !== undefined;
    const secured = await startTls(connection.options, {
      socket,
      role: "data",
      sessions: control.tlsSessions,
      connectionId: control.id,
      timeout: connection.options.connectTimeout,
      signal,
      command: start.label,
    });
    return { socket: secured, offered };
  };
}

/**
 * EPSV, or PASV once the server refused EPSV on this connection.
 * @returns the host and port to connect to.
 */
async function passiveAddress(
  connection: Connection,
  signal: AbortSignal | undefined,
): Promise<{ host: string; port: number }> {
  const peer = connection.control.remoteAddress;
  if (connection.hints.epsv) {
    try {
      const result = await connection.control.request("EPSV", undefined, signal);
      if (result.outcome === "success" && result.offer !== undefined) return { host: peer, port: result.offer.port };
      // RFC 2428 §3: a server that does not know EPSV answers 500/502; some say 501/504/522.
      if (result.outcome !== "permanent") check(result);
    } catch (error) {
      // An EPSV reply without a usable port: fall back to PASV rather than fail.
      if (!(FtpConnectionError.isInstance(error) && error.code === "FTP_ERR_BAD_PASSIVE_REPLY")) throw error;
    }
    connection.hints.epsv = false;
  }
  const result = check(await connection.control.request("PASV", undefined, signal));
  const offer = result.offer;
  if (offer === undefined || offer.host === undefined) {
    throw new FtpConnectionError("FTP_ERR_BAD_PASSIVE_REPLY", "PASV reply without an address", { command: "PASV" });
  }
  const trusted = connection.options.trustPasvAddress && !isUnspecified(offer.host);
  return { host: trusted || sameHost(offer.host, peer) ? offer.host : peer, port: offer.port };
}

async function openActive(
  connection: Connection,
  reader: DataReader | undefined,
  signal: AbortSignal | undefined,
): Promise<DataChannel> {
  const control = connection.control;
  const requested = connection.options.activeAddress ?? control.localAddress;
  const normalized = safeNormalizeIp(requested);
  const address = normalized.success ? normalized.value : requested;
  const server = net.createServer({ pauseOnConnect: true });
  const port = await listen(server, address, connection.options.activePortRange, signal);
  let startTimer = () => {};
  let cancel = (_error: unknown) => {};
  const accepted = new Promise<Socket>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (error: unknown, socket?: Socket) => {
      if (settled) {
        socket?.destroy();
        return;
      }
      settled = true;
      clearTimeout(timer);
      off();
      server.close();
      if (socket === undefined) reject(error);
      else resolve(socket);
    };
    cancel = (error) => settle(error);
    const off = onAbort(signal, () => settle(abortReason(signal as AbortSignal)));
    server.on("connection", (socket) => {
      // RFC 2577 §3: accept the data connection only from the server we are talking to.
      if (!sameHost(socket.remoteAddress ?? "", control.remoteAddress)) {
        socket.destroy();
        return;
      }
      settle(undefined, socket);
    });
    server.on("error", (cause) =>
      settle(
        new FtpConnectionError("FTP_ERR_DATA_CONNECTION", `active-mode listener failed: ${cause.message}`, { cause }),
      ),
    );
    // The wait starts with the transfer command; until then nobody connects anyway.
    startTimer = () => {
      const timeout = connection.options.connectTimeout;
      timer = setTimeout(
        () =>
          settle(
            new FtpTimeoutError("FTP_ERR_CONNECT_TIMEOUT", `the server did not connect within ${timeout} ms`, {
              timeout,
            }),
          ),
        timeout,
      );
    };
  });
  accepted.catch(() => {});
  const channel = new DataChannel(
    accepted,
    () => cancel(new FtpConnectionError("FTP_ERR_DATA_CONNECTION", "the data connection was closed")),
    reader,
    false,
    secureData(connection, signal),
  );
  try {
    await announce(connection, address, port, signal);
  } catch (error) {
    channel.destroy();
    throw error;
  }
  startTimer();
  return channel;
}

/** EPRT, or PORT once the server refused EPRT on this connection (IPv4 only). */
async function announce(connection: Connection, host: string, port: number, signal?: AbortSignal): Promise<void> {
  if (connection.hints.eprt) {
    const result = await connection.control.request("EPRT", encodeEprtArgument({ host, port }), signal);
    if (result.outcome === "success") return;
    if (result.outcome !== "permanent" || !isIPv4(normalizeIp(host))) check(result);
    connection.hints.eprt = false;
  }
  check(await connection.control.request("PORT", encodeHostPort({ host, port }), signal));
}

/** Listens on a port of the range (tried from a random start), or any free port. */
async function listen(
  server: net.Server,
  host: string,
  range: readonly [number, number] | undefined,
  signal: AbortSignal | undefined,
): Promise<number> {
  const candidates: number[] = [];
  if (range === undefined) {
    candidates.push(0);
  } else {
    const [low, high] = range;
    const count = high - low + 1;
    const start = Math.floor(Math.random() * count);
    for (let i = 0; i < count; i++) candidates.push(low + ((start + i) % count));
  }
  let lastError: Error | undefined;
  for (const port of candidates) {
    if (signal?.aborted) throw abortReason(signal);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ host, port, exclusive: true }, () => {
          server.off("error", reject);
          resolve();
        });
      });
      return (server.address() as net.AddressInfo).port;
    } catch (error) {
      lastError = error as Error;
    }
  }
  throw new FtpConnectionError(
    "FTP_ERR_DATA_CONNECTION",
    `cannot listen for an active-mode data connection on ${host}: ${lastError?.message ?? "no port"}`,
    { cause: lastError },
  );
}
