/** Test helpers: an FTP server on a temp folder, and a fake "page" talking to the gateway over HTTP. */
import { mkdtemp, rm } from "node:fs/promises";
import { type IncomingHttpHeaders, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { FtpServer, hashPassword } from "@ftpkit/server";
import type { GatewayEvent, SessionInfo } from "../../shared/api.js";

export interface TestServer {
  readonly server: FtpServer;
  readonly port: number;
  readonly root: string;
  readonly user: string;
  readonly password: string;
  stop(): Promise<void>;
}

export async function startFtpServer(
  user = "dev",
  password = "s3cret-Pa55",
  options: { tls?: boolean } = {},
): Promise<TestServer> {
  const root = await mkdtemp(join(tmpdir(), "ftpkit-webdemo-root-"));
  const server = new FtpServer({
    host: "127.0.0.1",
    port: 0,
    root,
    users: { [user]: { password: await hashPassword(password), permissions: "all" } },
    ...(options.tls ? { tls: { selfSigned: true } } : {}),
  });
  const address = await server.listen();
  return {
    server,
    port: address.port,
    root,
    user,
    password,
    async stop() {
      await server.close({ deadline: 1000 });
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer | Readable;
  /** Consume the response body here (for big downloads) instead of collecting it. */
  readonly sink?: (res: Readable) => Promise<void>;
}

export function httpRequest(port: number, path: string, options: RequestOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers },
      (res) => {
        const done = (body: Buffer) => {
          const text = body.toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) });
        };
        if (options.sink !== undefined && res.statusCode === 200) {
          options.sink(res).then(() => done(Buffer.alloc(0)), reject);
          return;
        }
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => done(Buffer.concat(chunks)));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    const body = options.body;
    if (body === undefined) req.end();
    else if (typeof body === "string" || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

/** A browser tab: its session cookie and token, the gateway's same-origin headers. */
export class Page {
  cookie = "";
  token = "";
  readonly events: GatewayEvent[] = [];
  /** Every response body this page received, for "no credential came back" checks. */
  readonly received: string[] = [];
  private stream: { destroy(): void } | undefined;

  constructor(readonly port: number) {}

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async open(): Promise<SessionInfo> {
    const res = await httpRequest(this.port, "/api/session", { headers: this.baseHeaders() });
    const setCookie = res.headers["set-cookie"]?.[0];
    if (setCookie !== undefined) this.cookie = setCookie.split(";")[0] ?? "";
    this.received.push(res.text);
    const info = res.json<SessionInfo>();
    this.token = info.token;
    return info;
  }

  baseHeaders(): Record<string, string> {
    return { host: `127.0.0.1:${this.port}`, ...(this.cookie ? { cookie: this.cookie } : {}) };
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...this.baseHeaders(), origin: this.origin, "x-ftpkit-token": this.token, ...extra };
  }

  async call(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<HttpResult> {
    const res = await httpRequest(this.port, path, {
      method,
      headers: this.headers(body === undefined ? extra : { "content-type": "application/json", ...extra }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    this.received.push(res.text);
    return res;
  }

  connect(
    server: { port: number; user: string },
    password = "",
    host = "127.0.0.1",
    secure = false,
  ): Promise<HttpResult> {
    return this.call("POST", "/api/connect", { host, port: server.port, user: server.user, password, secure });
  }

  /** Opens the event stream; events land in {@link events}. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: this.port,
          path: `/api/events?token=${encodeURIComponent(this.token)}`,
          headers: this.baseHeaders(),
        },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`events: ${res.statusCode}`));
            return;
          }
          let buffer = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            buffer += chunk;
            this.received.push(chunk);
            for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
              const frame = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const data = frame
                .split("\n")
                .filter((l) => l.startsWith("data: "))
                .map((l) => l.slice(6))
                .join("\n");
              if (data !== "") this.events.push(JSON.parse(data) as GatewayEvent);
            }
          });
          res.on("error", () => undefined);
          resolve();
        },
      );
      req.on("error", () => undefined);
      req.end();
      this.stream = req;
    });
  }

  close(): void {
    this.stream?.destroy();
  }

  /** Waits until an event matches. */
  async waitFor(predicate: (e: GatewayEvent) => boolean, timeout = 5000): Promise<GatewayEvent> {
    const until = Date.now() + timeout;
    for (;;) {
      const found = this.events.find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > until) throw new Error(`no such event; got ${JSON.stringify(this.events.slice(-10))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  transcript(): string[] {
    return this.events.flatMap((e) =>
      e.type === "command" ? [`> ${e.text}`] : e.type === "reply" ? [`< ${e.code} ${e.lines.join(" ")}`] : [],
    );
  }
}
