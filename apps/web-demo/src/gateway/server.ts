/**
 * The web demo's gateway: an HTTP server on loopback that serves the built page and an API
 * holding one @ftpkit/client Client per browser session (see ../shared/api.ts for the calls).
 *
 * Safety, because it runs on the user's machine and opens connections for a web page:
 * - it binds 127.0.0.1 and answers only requests whose Host is this loopback address
 *   (a DNS-rebinding page gets 421);
 * - it connects only to `host:port` pairs on its allow list (default: the preset, that is
 *   the bundled server of `ftpkit dev`), so it cannot be used to reach other machines; the
 *   client never follows a PASV reply to another host (`trustPasvAddress` stays off);
 * - the session cookie is HttpOnly and SameSite=Strict, and every call but the first carries
 *   the session's token (which another origin cannot read); writes must come from this origin;
 * - passwords are used to log in and nowhere else: never logged, never sent to the page
 *   (the transcript masks PASS; the preset's password stays here);
 * - sessions expire after `sessionTtl` ms without a call; their FTP connection is closed.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ConnectionOptions as TlsConnectionOptions } from "node:tls";
import { Client, type ConnectOptions, type FileInfo } from "@ftpkit/client";
import { normalizeVirtualPath, virtualBasename } from "@ftpkit/protocol";
import {
  type ConnectResponse,
  type DownloadTicket,
  type Entry,
  type ListResponse,
  type PresetInfo,
  type SessionInfo,
  TOKEN_HEADER,
  type UploadResponse,
} from "../shared/api.js";
import { type AllowRule, formatAllowRule, isAllowed, normalizeHost, parseAllowRule } from "./allow-list.js";
import { errorBody, GatewayError, toGatewayError } from "./errors.js";
import { DemoSession } from "./session.js";
import { DEFAULT_STATIC_DIR, PAGE_HEADERS, serveStatic } from "./static.js";
import { TranscriptRouter } from "./transcript.js";

/** The server the connect form is filled in for (the bundled server, with `ftpkit dev`). */
export interface DemoPreset {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Kept in the gateway: the page leaves the password empty to use it. */
  readonly password?: string;
  readonly secure?: boolean;
  /** Shown above the form, e.g. "the bundled server of ftpkit dev". */
  readonly label?: string;
}

export interface DemoGatewayOptions {
  /** Address to listen on (default 127.0.0.1; keep it a loopback address). */
  readonly host?: string;
  /** Port to listen on (default 0: a free one). */
  readonly port?: number;
  readonly preset?: DemoPreset;
  /**
   * `host:port` (or `host:*`) rules the gateway may connect to. Default: the preset's
   * `host:port` only (and nothing when there is no preset).
   */
  readonly allow?: readonly string[];
  /** The built front end (default: this package's dist/public). */
  readonly staticDir?: string;
  /** Idle time in ms after which a session and its FTP connection are closed (default 30 minutes). */
  readonly sessionTtl?: number;
  /** Most sessions at once (default 64). */
  readonly maxSessions?: number;
  /** FTP client timeout in ms (connect, reply, data idle; default 15 s). */
  readonly clientTimeout?: number;
  /**
   * node:tls options for connections the page asks to protect (explicit TLS), e.g. `ca`
   * with a self-signed server certificate. Default: the system's trusted CAs.
   */
  readonly secureOptions?: Omit<TlsConnectionOptions, "host" | "port" | "socket" | "session">;
}

export interface DemoGateway {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The allow list in force, as `host:port` texts. */
  readonly allowed: readonly string[];
  /** Sessions alive now. */
  readonly sessionCount: number;
  /** Ends every session (QUIT) and stops listening. */
  close(): Promise<void>;
}

const JSON_LIMIT = 16 * 1024;
/** After a failed upload, this much of the unread body is read and dropped so the page gets the answer. */
const DRAIN_LIMIT = 64 * 1024 * 1024;
const MAX_PATH = 4096;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
    "cache-control": "no-store",
    ...PAGE_HEADERS,
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("application/json")) throw new GatewayError(415, "bad-request", "Expected a JSON body.");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > JSON_LIMIT) throw new GatewayError(413, "bad-request", "The request is too large.");
    chunks.push(chunk);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new GatewayError(400, "bad-request", "The request body is not a JSON object.");
}

function stringField(body: Record<string, unknown>, key: string, max = 1024): string {
  const value = body[key];
  if (typeof value !== "string" || value.length > max) {
    throw new GatewayError(400, "bad-request", `The field “${key}” is missing or too long.`);
  }
  return value;
}

/** An absolute remote path from the page (normalized; no CR, LF or NUL). */
function remotePath(value: unknown, what = "path"): string {
  if (typeof value !== "string" || value === "" || value.length > MAX_PATH || /[\r\n\0]/.test(value)) {
    throw new GatewayError(400, "bad-request", `The ${what} is missing or not a valid path.`);
  }
  return normalizeVirtualPath(value.startsWith("/") ? value : `/${value}`);
}

function entryOf(info: FileInfo): Entry {
  const type = info.type === "file" || info.type === "directory" || info.type === "symlink" ? info.type : "other";
  const perm = info.facts?.["perm"];
  return {
    name: info.name,
    type,
    size: info.size,
    modified: info.modifiedAt && !Number.isNaN(info.modifiedAt.getTime()) ? info.modifiedAt.toISOString() : undefined,
    permissions: info.permissions ?? perm,
    target: info.target,
  };
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * Starts the gateway.
 * @throws TypeError for a bad allow rule; the listen error (EADDRINUSE, ...) when the port is taken.
 */
export async function startDemoGateway(options: DemoGatewayOptions = {}): Promise<DemoGateway> {
  const bindHost = options.host ?? "127.0.0.1";
  const preset = options.preset;
  const presetHost = preset === undefined ? undefined : normalizeHost(preset.host);
  const rules: AllowRule[] = (
    options.allow ?? (preset ? [`${preset.host.includes(":") ? `[${preset.host}]` : preset.host}:${preset.port}`] : [])
  ).map(parseAllowRule);
  const allowed = rules.map(formatAllowRule);
  const staticDir = options.staticDir ?? DEFAULT_STATIC_DIR;
  const sessionTtl = options.sessionTtl ?? 30 * 60_000;
  const maxSessions = options.maxSessions ?? 64;
  const clientTimeout = options.clientTimeout ?? 15_000;
  const sessions = new Map<string, DemoSession>();
  const router = new TranscriptRouter();
  router.start();
  let cookieName = "ftpkit_demo";
  let hostsAccepted = new Set<string>();

  const presetInfo: PresetInfo | undefined =
    preset === undefined
      ? undefined
      : {
          host: preset.host,
          port: preset.port,
          user: preset.user,
          secure: preset.secure ?? false,
          passwordKnown: preset.password !== undefined,
          label: preset.label ?? `${preset.host}:${preset.port}`,
        };

  /** Closes a session's FTP connection (its QUIT still reaches the transcript). */
  function disconnect(session: DemoSession, message?: string): Promise<void> {
    return router.run(session, () => session.disconnect(message));
  }

  function endSession(session: DemoSession, message: string): Promise<void> {
    sessions.delete(session.id);
    // disconnect() reports the end itself when there was a connection.
    if (session.client === undefined) session.emit({ type: "status", connected: false, message });
    return disconnect(session, message).finally(() => {
      router.forget(session);
      session.endStreams();
    });
  }

  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const session of sessions.values()) {
        if (session.expired(sessionTtl, now)) void endSession(session, "Your session expired. Connect again.");
        else session.ping();
      }
    },
    Math.max(50, Math.min(sessionTtl / 4, 20_000)),
  );
  sweeper.unref();

  function sessionOf(req: IncomingMessage): DemoSession | undefined {
    const id = parseCookies(req.headers.cookie).get(cookieName);
    const session = id === undefined ? undefined : sessions.get(id);
    if (session?.expired(sessionTtl)) {
      void endSession(session, "Your session expired. Connect again.");
      return undefined;
    }
    return session;
  }

  function newSession(res: ServerResponse): DemoSession {
    if (sessions.size >= maxSessions) {
      // Make room: drop the longest-idle session without an FTP connection.
      const idle = [...sessions.values()].filter((s) => s.client === undefined).sort((a, b) => a.lastSeen - b.lastSeen);
      const victim = idle[0];
      if (victim === undefined) throw new GatewayError(503, "too-many", "Too many open sessions: try again later.");
      void endSession(victim, "Your session was closed to make room for another.");
    }
    const session = new DemoSession();
    sessions.set(session.id, session);
    res.setHeader("set-cookie", `${cookieName}=${session.id}; HttpOnly; SameSite=Strict; Path=/`);
    return session;
  }

  /** The session of a call that must carry the token (header, or `token` in the query). */
  function authorized(req: IncomingMessage, url: URL): DemoSession {
    const session = sessionOf(req);
    if (session === undefined) {
      throw new GatewayError(401, "no-session", "Your session expired or was closed. Connect again.");
    }
    const header = req.headers[TOKEN_HEADER];
    const token = typeof header === "string" ? header : (url.searchParams.get("token") ?? undefined);
    if (!session.hasToken(token))
      throw new GatewayError(403, "forbidden", "This request did not come from the demo page.");
    session.touch();
    return session;
  }

  function connected(session: DemoSession): Client {
    if (session.client === undefined) throw new GatewayError(409, "not-connected", "Not connected: log in first.");
    return session.client;
  }

  function info(session: DemoSession): SessionInfo {
    return {
      token: session.token,
      connected: session.client !== undefined,
      ...(session.server === undefined ? {} : { server: session.server }),
      ...(session.user === undefined ? {} : { user: session.user }),
      ...(session.cwd === undefined ? {} : { cwd: session.cwd }),
      ...(session.client === undefined ? {} : { secure: session.secure }),
      ...(presetInfo === undefined ? {} : { preset: presetInfo }),
      allowed,
      sessionTtl,
      seq: session.lastSeq,
    };
  }

  async function connect(session: DemoSession, body: Record<string, unknown>): Promise<ConnectResponse> {
    const host = stringField(body, "host", 255).trim();
    const port = body["port"];
    const user = stringField(body, "user", 255);
    const password = stringField(body, "password", 1024);
    const secure = body["secure"] === true;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new GatewayError(400, "bad-request", "The port must be a number from 1 to 65535.");
    }
    if (host === "") throw new GatewayError(400, "bad-request", "Enter the server's host name or address.");
    if (!isAllowed(rules, host, port)) {
      throw new GatewayError(
        403,
        "not-allowed",
        allowed.length === 0
          ? "This gateway is not allowed to connect anywhere."
          : `This gateway only connects to ${allowed.join(", ")}; ${host}:${port} is not on its allow list.`,
      );
    }
    const usePreset =
      password === "" &&
      preset?.password !== undefined &&
      normalizeHost(host) === presetHost &&
      port === preset.port &&
      user === preset.user;
    await disconnect(session);
    const connectOptions: ConnectOptions = {
      host,
      port,
      user,
      password: usePreset ? (preset?.password ?? "") : password,
      timeout: clientTimeout,
      retries: 1,
      // Explicit FTPS: AUTH TLS, then PBSZ 0 / PROT P for the data connections.
      secure,
      ...(secure && options.secureOptions !== undefined
        ? { secureOptions: options.secureOptions as ConnectOptions["secureOptions"] }
        : {}),
    };
    const client = await router.run(session, () => Client.connect(connectOptions));
    const cwd = await router.run(session, () => client.pwd()).catch(() => "/");
    session.client = client;
    session.server = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    session.user = user;
    session.cwd = cwd;
    session.secure = secure;
    session.emit({ type: "status", connected: true });
    return { cwd, server: session.server, user, secure };
  }

  async function upload(session: DemoSession, req: IncomingMessage, url: URL): Promise<UploadResponse> {
    const client = connected(session);
    const path = remotePath(url.searchParams.get("path"));
    const length = Number(req.headers["content-length"]);
    const total = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
    const report = session.transfer("upload", path, total);
    const abort = new AbortController();
    const onClose = () => {
      if (!req.complete) abort.abort(new Error("the page stopped sending the file"));
    };
    req.on("close", onClose);
    let moved = 0;
    try {
      // The request body streams straight into STOR: only the socket buffers hold any of it.
      const result = await router.run(session, () =>
        client.upload(req, path, {
          signal: abort.signal,
          onProgress: (p) => {
            moved = p.bytes;
            report.progress(p.bytes, p.total ?? total);
          },
        }),
      );
      report.done(result.bytes);
      return { path, bytes: result.bytes };
    } catch (error) {
      const failure = toGatewayError(error, `upload ${virtualBasename(path)}`);
      report.failed(moved, failure.message);
      throw failure;
    } finally {
      req.off("close", onClose);
    }
  }

  async function download(session: DemoSession, ticket: string, res: ServerResponse): Promise<void> {
    const t = session.redeemTicket(ticket);
    if (t === undefined) {
      throw new GatewayError(404, "not-found", "This download link has expired: click the file again.");
    }
    const client = connected(session);
    const name = virtualBasename(t.path) || "download";
    const report = session.transfer("download", t.path, t.size);
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort(new Error("the page stopped the download"));
    };
    res.on("close", onClose);
    res.setHeader("content-type", "application/octet-stream");
    res.setHeader("content-disposition", contentDisposition(name));
    res.setHeader("cache-control", "no-store");
    res.setHeader("x-content-type-options", "nosniff");
    if (t.size !== undefined) res.setHeader("content-length", String(t.size));
    let moved = 0;
    try {
      // RETR streams into the response with back-pressure: no file is held in memory.
      const result = await router.run(session, () =>
        client.download(t.path, res, {
          signal: abort.signal,
          onProgress: (p) => {
            moved = p.bytes;
            report.progress(p.bytes, p.total);
          },
        }),
      );
      report.done(result.bytes);
    } catch (error) {
      const failure = toGatewayError(error, `download ${name}`);
      report.failed(moved, failure.message);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      for (const header of ["content-type", "content-disposition", "content-length"]) res.removeHeader(header);
      throw failure;
    } finally {
      res.off("close", onClose);
    }
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname}`;
    const write = req.method !== "GET" && req.method !== "HEAD";
    if (write) {
      // Writes come from this origin only (the token is the main defence; this is the second).
      const origin = req.headers.origin;
      const site = req.headers["sec-fetch-site"];
      if (
        origin !== undefined ? origin !== `http://${req.headers.host}` : site !== undefined && site !== "same-origin"
      ) {
        throw new GatewayError(403, "forbidden", "Requests from other sites are refused.");
      }
    }
    if (route === "GET /api/session") {
      const session = sessionOf(req) ?? newSession(res);
      session.touch();
      sendJson(res, 200, info(session));
      return;
    }
    if (req.method === "GET" && url.pathname.startsWith("/api/download/")) {
      const session = sessionOf(req);
      if (session === undefined) throw new GatewayError(401, "no-session", "Your session expired. Connect again.");
      session.begin();
      try {
        await download(session, url.pathname.slice("/api/download/".length), res);
      } finally {
        session.end();
      }
      return;
    }
    const session = authorized(req, url);
    if (route === "GET /api/events") {
      // An open stream is not activity: a forgotten tab still lets its session expire.
      const last = Number(req.headers["last-event-id"] ?? url.searchParams.get("after") ?? 0);
      session.addStream(res, Number.isFinite(last) ? last : 0);
      return;
    }
    session.begin();
    try {
      await call(session, route, req, res, url);
    } finally {
      session.end();
    }
  }

  async function call(
    session: DemoSession,
    route: string,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<void> {
    switch (route) {
      case "POST /api/connect": {
        const body = await readJson(req);
        try {
          sendJson(res, 200, await connect(session, body));
        } catch (error) {
          throw toGatewayError(error, "connect");
        }
        return;
      }
      case "POST /api/disconnect":
        await disconnect(session, "Disconnected.");
        sendJson(res, 200, info(session));
        return;
      case "GET /api/list": {
        const client = connected(session);
        const path = remotePath(url.searchParams.get("path") ?? session.cwd ?? "/");
        try {
          const list = await router.run(session, () => client.list(path));
          session.cwd = path;
          const body: ListResponse = { path, entries: list.map(entryOf) };
          sendJson(res, 200, body);
        } catch (error) {
          throw toGatewayError(error, `open ${path}`);
        }
        return;
      }
      case "POST /api/mkdir": {
        const body = await readJson(req);
        const path = remotePath(body["path"]);
        const client = connected(session);
        await router
          .run(session, () => client.mkdir(path))
          .catch((e: unknown) => {
            throw toGatewayError(e, `create the folder ${virtualBasename(path)}`);
          });
        sendJson(res, 200, { path });
        return;
      }
      case "POST /api/rename": {
        const body = await readJson(req);
        const from = remotePath(body["from"], "current name");
        const to = remotePath(body["to"], "new name");
        const client = connected(session);
        await router
          .run(session, () => client.rename(from, to))
          .catch((e: unknown) => {
            throw toGatewayError(e, `rename ${virtualBasename(from)}`);
          });
        sendJson(res, 200, { from, to });
        return;
      }
      case "POST /api/delete": {
        const body = await readJson(req);
        const path = remotePath(body["path"]);
        if (path === "/") throw new GatewayError(400, "bad-request", "The root folder cannot be deleted.");
        const client = connected(session);
        const directory = body["directory"] === true;
        await router
          .run(session, () => (directory ? client.rmdir(path, { recursive: true }) : client.remove(path)))
          .catch((e: unknown) => {
            throw toGatewayError(e, `delete ${virtualBasename(path)}`);
          });
        sendJson(res, 200, { path });
        return;
      }
      case "POST /api/download": {
        const body = await readJson(req);
        const path = remotePath(body["path"]);
        const client = connected(session);
        // SIZE tells a missing file (or a folder) apart before the browser starts a download.
        const size = await router
          .run(session, () => client.size(path))
          .catch((e: unknown) => {
            throw toGatewayError(e, `download ${virtualBasename(path)}`);
          });
        const ticket: DownloadTicket = { url: `/api/download/${session.issueTicket(path, size)}`, size };
        sendJson(res, 200, ticket);
        return;
      }
      case "PUT /api/upload": {
        try {
          sendJson(res, 200, await upload(session, req, url));
        } catch (error) {
          // Read (and drop) what the page still sends, so that it gets the answer.
          if (!req.complete && !req.destroyed) {
            let drained = 0;
            req.on("data", (chunk: Buffer) => {
              drained += chunk.length;
              if (drained > DRAIN_LIMIT) req.destroy();
            });
            req.resume();
          }
          throw error;
        }
        return;
      }
      default:
        throw new GatewayError(404, "bad-request", `No such call: ${route}.`);
    }
  }

  const server = createServer((req, res) => {
    const host = req.headers.host ?? "";
    if (!hostsAccepted.has(host.toLowerCase())) {
      // DNS rebinding: a page on another name that resolves to 127.0.0.1 is not this origin.
      res.writeHead(421, { "content-type": "text/plain; charset=utf-8" }).end("Misdirected request");
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? "/", `http://${host}`);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const work = url.pathname.startsWith("/api/") ? api(req, res, url) : serveStatic(staticDir, req, res, url.pathname);
    work.catch((error: unknown) => {
      const failure = toGatewayError(error, "do that");
      sendJson(res, failure.status, errorBody(failure));
    });
  });
  // Uploads of big files may take long: no whole-request deadline (idle sockets still time out).
  server.requestTimeout = 0;
  server.listen(options.port ?? 0, bindHost);
  try {
    await once(server, "listening");
  } catch (error) {
    clearInterval(sweeper);
    router.stop();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  cookieName = `ftpkit_demo_${port}`;
  const urlHost = bindHost.includes(":") ? `[${bindHost}]` : bindHost;
  hostsAccepted = new Set([`${urlHost}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);

  return {
    url: `http://${urlHost}:${port}/`,
    host: bindHost,
    port,
    allowed,
    get sessionCount() {
      return sessions.size;
    },
    async close() {
      clearInterval(sweeper);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...sessions.values()].map((s) => endSession(s, "The gateway stopped.")));
      server.closeAllConnections();
      await closed;
      router.stop();
    },
  };
}
