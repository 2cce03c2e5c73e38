import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterEach } from "vitest";
import { Client } from "../client.js";
import type { ConnectOptions } from "../options.js";
import { FaultServer, type FaultServerOptions } from "./fault-server.js";

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Registers something to undo after the current test. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** A fault server that is closed after the test. */
export async function faultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const server = await FaultServer.start(options);
  onCleanup(() => server.close());
  return server;
}

/** Fast timeouts and no back-off, so failure paths finish quickly. */
export const FAST: Partial<ConnectOptions> = {
  connectTimeout: 2000,
  replyTimeout: 2000,
  dataIdleTimeout: 2000,
  retryDelay: 5,
  keepAlive: false,
};

/** A client connected to `server`, closed after the test. */
export async function connect(server: FaultServer, options: Partial<ConnectOptions> = {}): Promise<Client> {
  const client = await Client.connect({
    host: server.host,
    port: server.port,
    user: "user",
    password: "secret",
    ...FAST,
    ...options,
  });
  onCleanup(() => client.close());
  return client;
}

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ftpkit-client-"));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export function random(size: number): Buffer {
  return randomBytes(size);
}

/** A Writable that collects what it is given. */
export function collector(): Writable & { data(): Buffer } {
  const chunks: Buffer[] = [];
  const writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  }) as Writable & { data(): Buffer };
  writable.data = () => Buffer.concat(chunks);
  return writable;
}
