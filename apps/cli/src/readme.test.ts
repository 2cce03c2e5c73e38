/**
 * The README's first command, `pnpm dev` (root package.json: build, then
 * `node apps/cli/dist/bin.js dev`), started as a process and reached over FTP with a raw
 * socket; Ctrl-C (SIGINT) stops it.
 */
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { binary, cleanupHome, start } from "./__tests__/process.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..", "..");
const dist = join(here, "..", "dist", "bin.js");
const temps: string[] = [];

afterAll(async () => {
  await cleanupHome();
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * `apps/cli/dist/bin.js` as `pnpm dev` runs it (the root test command builds it first); when it
 * is missing or older than the sources (a local run without a build), the test bundle of the
 * same sources instead.
 */
function entry(): string {
  return existsSync(dist) && statSync(dist).mtimeMs >= newestSource(here) ? dist : binary();
}

/** Reads FTP replies line by line and returns each complete reply's code (RFC 959 §4.2). */
async function control(port: number) {
  const socket = connect({ host: "127.0.0.1", port });
  await once(socket, "connect");
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  createInterface({ input: socket }).on("line", (l) => {
    const waiter = waiters.shift();
    if (waiter) waiter(l);
    else lines.push(l);
  });
  const line = () => new Promise<string>((r) => (lines.length > 0 ? r(lines.shift() as string) : waiters.push(r)));
  const reply = async () => {
    for (;;) {
      const l = await line();
      if (/^\d{3} /.test(l)) return Number(l.slice(0, 3));
    }
  };
  return {
    reply,
    send: async (command: string) => {
      socket.write(`${command}\r\n`);
      return reply();
    },
    socket,
  };
}

describe("the README's first command", () => {
  it("is pnpm dev, which runs the built CLI's dev command", () => {
    const readme = readFileSync(join(repo, "README.md"), "utf8");
    const firstCommand = /```sh\n([^\n]+)\n/.exec(readme)?.[1] ?? "";
    expect(firstCommand).toMatch(/&& pnpm dev$/);
    const scripts = (
      JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts["dev"]).toMatch(/node apps\/cli\/dist\/bin\.js dev$/);
  });

  it("starts, serves FTP at the printed URL, and stops on Ctrl-C", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftpkit-readme-"));
    temps.push(dir);
    // --web-port 0: the web demo (when it starts) takes a free port, never another test's.
    const run = await start(["dev", join(dir, "root"), "--port", "0", "--web-port", "0"], { cwd: dir, entry: entry() });
    const line = await run.waitForLine(/ftp:\/\/\S+/);
    const [, user, password, port] = /ftp:\/\/([^:@\s]+):([^@\s]+)@127\.0\.0\.1:(\d+)\//.exec(line) ?? [];
    expect(port, line).toBeDefined();
    const c = await control(Number(port));
    expect(await c.reply()).toBe(220);
    expect(await c.send(`USER ${decodeURIComponent(user ?? "")}`)).toBe(331);
    expect(await c.send(`PASS ${decodeURIComponent(password ?? "")}`)).toBe(230);
    expect(await c.send("TYPE I")).toBe(200);
    expect(await c.send("SIZE welcome.txt")).toBe(213);
    run.child.kill("SIGINT");
    expect(await c.reply()).toBe(421);
    expect(await run.exited).toBe(0);
    c.socket.destroy();
  });
});
