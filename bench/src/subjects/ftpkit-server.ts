/**
 * Child process: the ftpkit server (`FtpServer` + `LocalFileSystem` from the built
 * @ftpkit/server) on 127.0.0.1, port 0, one account. Default options except the limits the
 * load rows need (connections at once, per address, listing size).
 */
import { createRequire } from "node:module";
import { onStop, readConfig, send } from "./common.js";
import { SERVER_PACKAGE } from "./packages.js";

interface FtpServerLike {
  listen(): Promise<{ port: number }>;
  close(options?: { deadline?: number }): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}
interface ServerModule {
  FtpServer?: new (options: Record<string, unknown>) => FtpServerLike;
  LocalFileSystem?: new (root: string) => unknown;
}

const config = readConfig();
let mod: ServerModule;
try {
  mod = (await import(SERVER_PACKAGE)) as ServerModule;
} catch (e) {
  send({ type: "unavailable", reason: `@ftpkit/server cannot be loaded (built?): ${(e as Error).message}` });
  process.exit(0);
}
const { FtpServer, LocalFileSystem } = mod;
if (typeof FtpServer !== "function" || typeof LocalFileSystem !== "function") {
  send({ type: "unavailable", reason: "@ftpkit/server does not export FtpServer and LocalFileSystem yet" });
  process.exit(0);
}
let version = "?";
try {
  version = (createRequire(import.meta.url)("@ftpkit/server/package.json") as { version: string }).version;
} catch {}

try {
  const server = new FtpServer({
    host: "127.0.0.1",
    port: 0,
    authenticate: ({ user, password }: { user: string; password: string }) =>
      user === config.user && password === config.password ? { fs: new LocalFileSystem(config.root) } : null,
    limits: {
      maxConnections: config.maxConnections,
      maxConnectionsPerIp: config.maxConnections,
      maxListEntries: 10_000_000,
    },
  });
  server.on("error", (e) => process.stderr.write(`ftpkit server error: ${String((e as Error)?.message ?? e)}\n`));
  const address = await server.listen();
  onStop(() => server.close({ deadline: 1_000 }));
  send({
    type: "ready",
    port: address.port,
    version,
    description: `@ftpkit/server ${version} (FtpServer + LocalFileSystem, default options, child process, Node ${process.version})`,
  });
} catch (e) {
  send({ type: "error", message: (e as Error).stack ?? String(e) });
  process.exit(1);
}
