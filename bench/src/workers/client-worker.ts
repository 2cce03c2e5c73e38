/**
 * A client worker: a child process that runs one client library's operations on request, so
 * that the client is measured away from the bench's own work (and a crash or hang there cannot
 * take the bench down). Usage: node --expose-gc client-worker.js <ftpkit|basic-ftp|load>.
 * It exits when the bench goes away (IPC disconnect).
 */
import type { Handlers, Lib, Request, Response } from "./protocol.js";

const lib = process.argv[2] as Lib | undefined;
const loaders: Record<Lib, () => Promise<Handlers>> = {
  ftpkit: async () => (await import("./ftpkit-client.js")).handlers,
  "basic-ftp": async () => (await import("./basic-ftp-client.js")).handlers,
  load: async () => (await import("./load.js")).handlers,
};

process.on("disconnect", () => process.exit(0));

if (!lib || !(lib in loaders)) {
  process.stderr.write(`usage: client-worker.js <${Object.keys(loaders).join("|")}>\n`);
  process.exit(2);
}

const handlers = await loaders[lib]();
const gc = (globalThis as { gc?: () => void }).gc;

process.on("message", (raw) => {
  const req = raw as Request;
  const handler = handlers[req.op] as ((args: unknown) => Promise<Response extends never ? never : object>) | undefined;
  const reply = (r: Response) => process.send?.(r);
  if (!handler) {
    reply({ id: req.id, ok: false, error: `${lib}: operation ${req.op} not supported` });
    return;
  }
  gc?.();
  handler(req.args).then(
    (result) => reply({ id: req.id, ok: true, result }),
    (e: unknown) => reply({ id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});
process.send?.({ id: 0, ok: true, result: {} });
