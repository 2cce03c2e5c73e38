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
 */
import net, { type Socket } from "node:net";
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
import { type Connection, check } from "./transport/connection.js";

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

export class DataChannel {
  private socketValue: Socket | undefined;
  private readonly pending: Promise<Socket>;
  private readonly cleanup: () => void;
  private reader: DataReader | undefined;
  private readonly viaOnread: boolean;
  private destroyed = false;

  /** @internal use {@link DataChannel.open}. */
  constructor(pending: Promise<Socket>, cleanup: () => void, reader: DataReader | undefined, viaOnread: boolean) {
    this.pending = pending;
    this.cleanup = cleanup;
    this.reader = reader;
    this.viaOnread = viaOnread;
    pending.then(
      (socket) => this.attach(socket),
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
    const onread =
      reader === undefined
        ? undefined
        : {
            buffer: readBufferFor(connection),
            callback: (bytes: number, buffer: Uint8Array): boolean =>
              channel?.reader?.data(buffer.subarray(0, bytes), false) ?? true,
          };
    const socket = await connection.control.transport.connect({
      host,
      port,
      role: "data",
      timeout: connection.options.connectTimeout,
      signal,
      onread,
    });
    channel = new DataChannel(Promise.resolve(socket), () => socket.destroy(), reader, onread !== undefined);
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
    const socket = this.socketValue;
    if (reset && socket !== undefined && !socket.destroyed) socket.resetAndDestroy();
    this.cleanup();
    socket?.destroy();
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
    // Passive downloads deliver through `onread`; accepted (active-mode) sockets emit 'data'.
    if (this.reader !== undefined && !this.viaOnread) {
      socket.on("data", (chunk: Buffer) => {
        if (this.reader?.data(chunk, true) === false) socket.pause();
      });
    }
    // Active-mode sockets are accepted paused, so no byte arrives before the listeners above.
    socket.resume();
  }
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
      control.transport.acceptData(socket).then(
        (ready) => settle(undefined, ready),
        (error: unknown) => settle(error),
      );
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
