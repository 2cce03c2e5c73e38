/**
 * ftpkit client operations for the client worker, written against the API of the client
 * issue (`Client.connect`, `download`, `upload`, `list`, `uploadDir`, `Pool`), typed here
 * structurally and checked at run time, so that the bench builds whatever state
 * @ftpkit/client is in.
 */
import { statSync } from "node:fs";
import type { Writable } from "node:stream";
import { CLIENT_PACKAGE } from "../subjects/packages.js";
import { discardSink, measure } from "./measure.js";
import type { Handlers, ServerAddress } from "./protocol.js";

interface FtpkitClient {
  download(remotePath: string, destination: string | Writable): Promise<{ bytes?: number } | undefined>;
  upload(source: string | Uint8Array, remotePath: string): Promise<{ bytes?: number } | undefined>;
  list(path?: string): Promise<readonly { name?: unknown }[]>;
  cd(path: string): Promise<unknown>;
  uploadDir(localDir: string, remoteDir: string, options?: { parallel?: number }): Promise<unknown>;
  close(): Promise<void>;
}
interface ClientModule {
  Client?: { connect(options: Record<string, unknown>): Promise<FtpkitClient> };
  Pool?: new (options: Record<string, unknown>) => FtpkitClient;
}

let mod: ClientModule | undefined;
let loadError: string | undefined;
try {
  mod = (await import(CLIENT_PACKAGE)) as ClientModule;
} catch (e) {
  loadError = `@ftpkit/client cannot be loaded (built?): ${(e as Error).message.split("\n")[0]}`;
}

function unavailableReason(): string | null {
  if (loadError) return loadError;
  if (typeof mod?.Client?.connect !== "function") return "waiting for @ftpkit/client to export Client";
  return null;
}

/** Distinct names in a listing (a sanity check: a listing garbled at chunk boundaries repeats names). */
export function distinct(list: readonly { name?: unknown }[]): number {
  return new Set(list.map((e) => String(e.name))).size;
}

function options(server: ServerAddress): Record<string, unknown> {
  return { host: server.host, port: server.port, user: server.user, password: server.password };
}

async function session<T>(server: ServerAddress, fn: (c: FtpkitClient) => Promise<T>): Promise<T> {
  const reason = unavailableReason();
  if (reason) throw new Error(reason);
  const client = await mod!.Client!.connect(options(server));
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

export const handlers: Handlers = {
  probe: async () => ({ reason: unavailableReason() }),
  download: ({ server, remote, sink }) =>
    session(server, async (c) => {
      if (sink.kind === "discard") {
        const s = discardSink();
        const m = await measure(() => c.download(remote, s));
        return { seconds: m.seconds, cpuSeconds: m.cpuSeconds, bytes: s.bytes };
      }
      const m = await measure(() => c.download(remote, sink.path));
      return { seconds: m.seconds, cpuSeconds: m.cpuSeconds, bytes: statSync(sink.path).size };
    }),
  upload: ({ server, local, remote }) =>
    session(server, async (c) => {
      const m = await measure(() => c.upload(local, remote));
      return { seconds: m.seconds, cpuSeconds: m.cpuSeconds, bytes: statSync(local).size };
    }),
  smallUploads: ({ server, count, size, remoteDir }) =>
    session(server, async (c) => {
      await c.cd(remoteDir);
      const data = Buffer.alloc(size, 0x61);
      const m = await measure(async () => {
        for (let i = 0; i < count; i++) await c.upload(data, `f${i}.bin`);
      });
      return { seconds: m.seconds, cpuSeconds: m.cpuSeconds, count };
    }),
  list: ({ server, remoteDir }) =>
    session(server, async (c) => {
      const m = await measure(() => c.list(remoteDir));
      return { seconds: m.seconds, cpuSeconds: m.cpuSeconds, count: m.value.length, ok: distinct(m.value) };
    }),
  uploadDir: async ({ server, localDir, remoteDir, parallel }) => {
    const reason = unavailableReason();
    if (reason) throw new Error(reason);
    const Pool = mod!.Pool;
    const m = await measure(async () => {
      if (typeof Pool === "function") {
        const pool = new Pool({ ...options(server), size: parallel });
        try {
          await pool.uploadDir(localDir, remoteDir);
        } finally {
          await pool.close();
        }
      } else {
        await session(server, (c) => c.uploadDir(localDir, remoteDir, { parallel }));
      }
    });
    return { seconds: m.seconds, cpuSeconds: m.cpuSeconds };
  },
};
