/**
 * Child process: ftp-srv (npm) on 127.0.0.1, port 0, one account, its default file system,
 * passive ports from the kernel (pasv_min = pasv_max = 0), logging off (a no-op logger in place
 * of bunyan, as the other servers run with quiet logs).
 */
import { createRequire } from "node:module";
import { onStop, readConfig, send } from "./common.js";

interface FtpSrvLike {
  listen(): Promise<unknown>;
  close(): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  server: { address(): { port: number } | string | null };
}
type FtpSrvCtor = new (options: Record<string, unknown>) => FtpSrvLike;

const config = readConfig();
const require = createRequire(import.meta.url);
const FtpSrv = require("ftp-srv") as FtpSrvCtor;
const version = (require("ftp-srv/package.json") as { version: string }).version;

const silent = {
  child() {
    return silent;
  },
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
};

try {
  const server = new FtpSrv({
    url: "ftp://127.0.0.1:0",
    pasv_url: "127.0.0.1",
    pasv_min: 0,
    pasv_max: 0,
    anonymous: false,
    greeting: "ftp-srv ready",
    log: silent,
  });
  server.on(
    "login",
    (
      { username, password }: { username: string; password: string },
      resolve: (r: { root: string }) => void,
      reject: (e: Error) => void,
    ) => {
      if (username === config.user && password === config.password) resolve({ root: config.root });
      else reject(new Error("bad login"));
    },
  );
  server.on("client-error", () => {});
  await server.listen();
  const address = server.server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  onStop(async () => {
    await server.close();
  });
  send({
    type: "ready",
    port: address.port,
    version,
    description: `ftp-srv ${version} (npm, its FileSystem, logging off, child process, Node ${process.version})`,
  });
} catch (e) {
  send({ type: "error", message: (e as Error).stack ?? String(e) });
  process.exit(1);
}
