import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type CliIo, main } from "./cli.js";

const here = dirname(fileURLToPath(import.meta.url));
const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ftpkit-cli-"));
  temps.push(dir);
  await writeFile(join(dir, "hello.txt"), "hello\n");
  return dir;
}

/** A tiny line-based FTP exchange over node:net (the CLI depends on the server package only). */
class Control {
  private readonly lines: string[] = [];
  private readonly waiters: ((line: string) => void)[] = [];

  private constructor(readonly socket: Socket) {
    createInterface({ input: socket }).on("line", (line) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(line);
      else this.lines.push(line);
    });
  }

  static async open(port: number, host = "127.0.0.1"): Promise<Control> {
    const socket = connect({ host, port });
    await once(socket, "connect");
    return new Control(socket);
  }

  private line(): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The next complete reply's code (multi-line replies end with `ddd `, RFC 959 §4.2). */
  async reply(): Promise<number> {
    for (;;) {
      const line = await this.line();
      if (/^\d{3} /.test(line)) return Number(line.slice(0, 3));
    }
  }

  async send(command: string): Promise<number> {
    this.socket.write(`${command}\r\n`);
    return this.reply();
  }
}

function testIo() {
  const out: string[] = [];
  const err: string[] = [];
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), untilStopped: () => stopped };
  return { io, out, err, stop };
}

async function waitFor<T>(check: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("ftpkit serve", () => {
  it("serves a directory, prints the ftp:// URL and stops gracefully", async () => {
    const dir = await tempDir();
    const { io, out, stop } = testIo();
    const exit = main(["node", "ftpkit", "serve", dir, "--port", "0", "--user", "bob", "--password", "p@ss"], io);
    const url = await waitFor(() => out.find((l) => l.includes("ftp://"))?.trim());
    const m = /^ftp:\/\/bob:p%40ss@127\.0\.0\.1:(\d+)\/$/.exec(url);
    expect(m, url).not.toBeNull();
    const port = Number(m?.[1]);
    expect(out[0]).toBe(`Serving ${dir}`);
    const c = await Control.open(port);
    expect(await c.reply()).toBe(220);
    expect(await c.send("USER bob")).toBe(331);
    expect(await c.send("PASS p@ss")).toBe(230);
    expect(await c.send("SIZE hello.txt")).toBe(550); // TYPE A
    expect(await c.send("TYPE I")).toBe(200);
    expect(await c.send("SIZE hello.txt")).toBe(213);
    expect(await c.send("MKD made-by-test")).toBe(257);
    stop();
    expect(await c.reply()).toBe(421); // shutdown
    expect(await exit).toBe(0);
    expect(out.at(-1)).toBe("Stopped.");
  });

  it("generates and prints a throwaway password; --read-only refuses writes", async () => {
    const dir = await tempDir();
    const { io, out, stop } = testIo();
    const exit = main(["node", "ftpkit", "serve", dir, "--port", "0", "--read-only"], io);
    const url = await waitFor(() => out.find((l) => l.includes("ftp://"))?.trim());
    const m = /^ftp:\/\/ftpkit:([^@]+)@127\.0\.0\.1:(\d+)\/$/.exec(url);
    expect(m).not.toBeNull();
    const password = decodeURIComponent(m?.[1] ?? "");
    expect(password.length).toBeGreaterThanOrEqual(12);
    expect(out.join("\n")).toContain(`password ${password} (generated)`);
    const c = await Control.open(Number(m?.[2]));
    await c.reply();
    expect(await c.send("USER ftpkit")).toBe(331);
    expect(await c.send(`PASS ${password}`)).toBe(230);
    expect(await c.send("MKD nope")).toBe(550);
    expect(await c.send("DELE hello.txt")).toBe(550);
    expect(await c.send("QUIT")).toBe(221);
    stop();
    expect(await exit).toBe(0);
  });

  it("reports usage errors with exit code 2 and a taken port with exit code 1", async () => {
    const a = testIo();
    expect(await main(["node", "ftpkit", "serve", "/no/such/dir", "--port", "0"], a.io)).toBe(2);
    expect(a.err.join("\n")).toContain("not a directory: /no/such/dir");
    const b = testIo();
    expect(await main(["node", "ftpkit", "serve", ".", "--port", "99999"], b.io)).toBe(2);
    expect(b.err.join("\n")).toContain("port");
    const c = testIo();
    expect(await main(["node", "ftpkit", "serve", "--help"], c.io)).toBe(0);
    expect(c.out.join("\n")).toContain("--password");
    const blocker = createServer().listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const port = (blocker.address() as { port: number }).port;
    const d = testIo();
    expect(await main(["node", "ftpkit", "serve", await tempDir(), "--port", String(port)], d.io)).toBe(1);
    expect(d.err.join("\n")).toMatch(/^ftpkit: cannot listen on 127\.0\.0\.1 port \d+: .*EADDRINUSE/);
    blocker.close();
  });

  it("runs as a process and stops on Ctrl-C (SIGINT)", { timeout: 60_000 }, async () => {
    const { build } = await import("vite");
    const outDir = await mkdtemp(join(tmpdir(), "ftpkit-cli-bundle-"));
    temps.push(outDir);
    const conditions = ["@ftpkit/source", "node", "import", "default"];
    await build({
      configFile: false,
      logLevel: "silent",
      root: join(here, ".."),
      resolve: { conditions },
      ssr: { noExternal: true, resolve: { conditions, externalConditions: conditions } },
      build: {
        ssr: join(here, "bin.ts"),
        outDir,
        minify: false,
        target: "node20",
        rollupOptions: { output: { entryFileNames: "bin.mjs", format: "es" } },
      },
    });
    const dir = await tempDir();
    const child = spawn(process.execPath, [join(outDir, "bin.mjs"), "serve", dir, "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on("line", (l) => lines.push(l));
    const url = await waitFor(() => lines.find((l) => l.includes("ftp://"))?.trim());
    const port = Number(/:(\d+)\/$/.exec(url)?.[1]);
    const c = await Control.open(port);
    expect(await c.reply()).toBe(220);
    child.kill("SIGINT");
    expect(await c.reply()).toBe(421);
    expect(await exited).toBe(0);
    expect(lines.at(-1)).toBe("Stopped.");
  });
});
