/** basic-ftp (npm) operations for the client worker. */
import { statSync } from "node:fs";
import { Readable } from "node:stream";
import { Client } from "basic-ftp";
import { discardSink, measure } from "./measure.js";
import type { Handlers, ServerAddress } from "./protocol.js";

async function connect(server: ServerAddress): Promise<Client> {
  const client = new Client(120_000);
  await client.access({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    secure: false,
  });
  return client;
}

async function session<T>(server: ServerAddress, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = await connect(server);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

export const handlers: Handlers = {
  probe: async () => ({ reason: null }),
  download: ({ server, remote, sink }) =>
    session(server, async (c) => {
      if (sink.kind === "discard") {
        const s = discardSink();
        const m = await measure(() => c.downloadTo(s, remote));
        return { seconds: m.seconds, cpuSeconds: m.cpuSeconds, bytes: s.bytes };
      }
      const m = await measure(() => c.downloadTo(sink.path, remote));
      return { seconds: m.seconds, cpuSeconds: m.cpuSeconds, bytes: statSync(sink.path).size };
    }),
  upload: ({ server, local, remote }) =>
    session(server, async (c) => {
      const m = await measure(() => c.uploadFrom(local, remote));
      return { seconds: m.seconds, cpuSeconds: m.cpuSeconds, bytes: statSync(local).size };
    }),
  smallUploads: ({ server, count, size, remoteDir }) =>
    session(server, async (c) => {
      await c.cd(remoteDir);
      const data = Buffer.alloc(size, 0x61);
      const m = await measure(async () => {
        for (let i = 0; i < count; i++) await c.uploadFrom(Readable.from(data), `f${i}.bin`);
      });
      return { seconds: m.seconds, cpuSeconds: m.cpuSeconds, count };
    }),
  list: ({ server, remoteDir }) =>
    session(server, async (c) => {
      const m = await measure(() => c.list(remoteDir));
      return {
        seconds: m.seconds,
        cpuSeconds: m.cpuSeconds,
        count: m.value.length,
        ok: new Set(m.value.map((e) => e.name)).size,
      };
    }),
  uploadDir: async ({ server, localDir, remoteDir, parallel }) => {
    if (parallel !== 1) throw new Error("basic-ftp uploads one file at a time (one connection)");
    const m = await measure(() => session(server, (c) => c.uploadFromDir(localDir, remoteDir)));
    return { seconds: m.seconds, cpuSeconds: m.cpuSeconds };
  },
};
