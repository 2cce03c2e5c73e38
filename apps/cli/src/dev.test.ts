import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { type CliIo, main } from "./cli.js";

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

/** Reads reply codes line by line (single-line replies only here). */
async function control(port: number) {
  const socket = connect({ host: "127.0.0.1", port });
  await once(socket, "connect");
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  createInterface({ input: socket }).on("line", (l) => (waiters.length > 0 ? waiters.shift()?.(l) : lines.push(l)));
  const next = () => new Promise<string>((r) => (lines.length > 0 ? r(lines.shift() as string) : waiters.push(r)));
  const send = async (cmd: string) => {
    socket.write(`${cmd}\r\n`);
    return next();
  };
  return { next, send, socket };
}

describe("ftpkit dev", () => {
  it("creates and seeds the folder, prints the credentials and serves it", async () => {
    const base = await mkdtemp(join(tmpdir(), "ftpkit-dev-"));
    temps.push(base);
    const dir = join(base, "root");
    const out: string[] = [];
    let stop!: () => void;
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      untilStopped: () => new Promise((r) => (stop = r)),
    };
    const exit = main(["node", "ftpkit", "dev", dir, "--port", "0"], io);
    for (let i = 0; i < 500 && !out.some((l) => l.includes("password")); i++)
      await new Promise((r) => setTimeout(r, 20));
    const url = out.find((l) => l.includes("ftp://")) ?? "";
    const [, user, password, port] = /ftp:\/\/([^:]+):([^@]+)@127\.0\.0\.1:(\d+)\//.exec(url) ?? [];
    expect(user).toBe("dev");
    expect(out.join("\n")).toContain(`user dev, password ${decodeURIComponent(password ?? "")}`);
    expect(await readFile(join(dir, "welcome.txt"), "utf8")).toContain("ftpkit dev");
    const c = await control(Number(port));
    expect(await c.next()).toMatch(/^220 /);
    expect(await c.send("USER dev")).toMatch(/^331 /);
    expect(await c.send(`PASS ${decodeURIComponent(password ?? "")}`)).toMatch(/^230 /);
    expect(await c.send("MKD uploads")).toMatch(/^257 /);
    c.socket.destroy();
    stop();
    expect(await exit).toBe(0);
  });

  it("leaves an existing folder's files alone", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftpkit-dev-"));
    temps.push(dir);
    await writeFile(join(dir, "mine.txt"), "keep");
    let stop!: () => void;
    const out: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      untilStopped: () => new Promise((r) => (stop = r)),
    };
    const exit = main(["node", "ftpkit", "dev", dir, "--port", "0"], io);
    for (let i = 0; i < 500 && !out.some((l) => l.includes("Ctrl-C")); i++) await new Promise((r) => setTimeout(r, 20));
    stop();
    expect(await exit).toBe(0);
    await expect(readFile(join(dir, "welcome.txt"))).rejects.toThrow();
    expect(await readFile(join(dir, "mine.txt"), "utf8")).toBe("keep");
  });
});
