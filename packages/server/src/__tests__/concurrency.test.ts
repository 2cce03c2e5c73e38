import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { LocalFileSystem } from "../fs/index.js";
import { FtpServer } from "../server.js";
import { type DataMode, RawClient, sha256 } from "./raw-client.js";

const CLIENTS = 200;
const FILE_SIZE = 256 * 1024;

async function openFds(): Promise<number> {
  return (await readdir("/proc/self/fd")).length;
}

function activeHandles(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
}

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

describe("concurrency", () => {
  it(`serves ${CLIENTS} clients logged in at once, each uploading and downloading its own file`, {
    timeout: 120_000,
  }, async () => {
    const root = await mkdtemp(join(tmpdir(), "ftpkit-concurrency-"));
    temps.push(root);
    const server = new FtpServer({
      host: "127.0.0.1",
      port: 0,
      authenticate: ({ user, password }) =>
        password === `pw-${user}` ? { fs: new LocalFileSystem(root), permissions: "all" } : null,
      limits: { maxConnections: CLIENTS + 10, maxConnectionsPerIp: CLIENTS + 10 },
    });
    const fdsBefore = await openFds();
    const handlesBefore = activeHandles();
    const { port } = await server.listen();

    // Every client waits here after login, so that all are logged in at the same moment.
    let arrived = 0;
    let release!: () => void;
    const barrier = new Promise<void>((resolve) => {
      release = resolve;
    });
    let peakConnections = 0;
    const modes: DataMode[] = ["pasv", "epsv", "port", "eprt"];

    const results = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        const user = `user${i}`;
        const data = randomBytes(FILE_SIZE);
        const c = await RawClient.connect(port, { replyTimeoutMs: 60_000 }); // see RawClient.connect: PAWS drops on a busy loopback
        try {
          await c.login(user, `pw-${user}`);
          if (++arrived === CLIENTS) {
            peakConnections = server.connectionCount;
            release();
          }
          await barrier;
          await c.expect("TYPE", "I", 200);
          const mode = modes[i % modes.length] as DataMode;
          const up = await c.stor(`${user}.bin`, data, { mode });
          const down = await c.retr(`${user}.bin`, modes[(i + 1) % modes.length]);
          await c.quit();
          return {
            ok: up.final.code === 226 && down.final.code === 226 && sha256(down.data) === sha256(data),
            violations: c.violations,
          };
        } catch (error) {
          c.destroy();
          return { ok: false, violations: [String(error)] };
        }
      }),
    );

    expect(peakConnections).toBe(CLIENTS);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.flatMap((r) => r.violations)).toEqual([]);
    expect((await readdir(root)).length).toBe(CLIENTS);

    // Everything released: no connection, no passive listener, no socket or file descriptor.
    await vi.waitFor(() => expect(server.connectionCount).toBe(0), { timeout: 10_000 });
    expect(server.passiveListenerCount).toBe(0);
    // While the server still listens: only its listening socket is left.
    await vi.waitFor(async () => expect(await openFds()).toBe(fdsBefore + 1), { timeout: 5000 });
    await server.close();
    await vi.waitFor(
      async () => {
        expect(await openFds()).toBe(fdsBefore);
        expect(activeHandles()).toBe(handlesBefore);
      },
      { timeout: 5000 },
    );
    console.info(
      `${CLIENTS} clients: ${peakConnections} logged in at once, ${results.length} SHA-256 matches, fds back to ${fdsBefore}, handles back to ${handlesBefore}`,
    );
  });
});
