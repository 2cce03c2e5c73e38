import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { type CliIo, main } from "./cli.js";
import { loadWebDemo } from "./dev.js";

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

/** Runs `ftpkit dev ARGS` (stopped by `stop()`), collecting its output, until it says "Ctrl-C". */
async function runDev(args: string[]): Promise<{ out: string[]; stop: () => void; exit: Promise<number> }> {
  const out: string[] = [];
  let stopped!: () => void;
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => out.push(l),
    untilStopped: () => new Promise((r) => (stopped = r)),
  };
  const exit = main(["node", "ftpkit", "dev", ...args], io);
  for (let i = 0; i < 500 && !out.some((l) => l.includes("Ctrl-C")); i++) await new Promise((r) => setTimeout(r, 20));
  return { out, stop: () => stopped(), exit };
}

describe("ftpkit dev", () => {
  it("creates and seeds the folder, prints the credentials and serves it", async () => {
    const base = await mkdtemp(join(tmpdir(), "ftpkit-dev-"));
    temps.push(base);
    const dir = join(base, "root");
    const { out, stop, exit } = await runDev([dir, "--port", "0", "--web-port", "0"]);
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
    const { out, stop, exit } = await runDev([dir, "--port", "0", "--no-web"]);
    stop();
    expect(await exit).toBe(0);
    expect(out.join("\n")).not.toContain("Web demo");
    await expect(readFile(join(dir, "welcome.txt"))).rejects.toThrow();
    expect(await readFile(join(dir, "mine.txt"), "utf8")).toBe("keep");
  });

  it("starts the web demo, filled in for the bundled server, whose password stays in the gateway", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftpkit-dev-"));
    temps.push(dir);
    const { out, stop, exit } = await runDev([dir, "--port", "0", "--web-port", "0"]);
    const [, ftpPort] = /@127\.0\.0\.1:(\d+)\//.exec(out.join("\n")) ?? [];
    const password = /user dev, password (\S+)/.exec(out.join("\n"))?.[1] ?? "";
    const web = /^ {2}Web demo {3}(http:\/\/127\.0\.0\.1:(\d+)\/)$/m.exec(out.join("\n"));
    expect(web, out.join("\n")).not.toBeNull();
    const webPort = Number(web?.[2]);
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`http://127.0.0.1:${webPort}${path}`, { headers });
      return { status: res.status, text: await res.text(), cookie: res.headers.get("set-cookie") ?? "" };
    };
    const session = await get("/api/session");
    expect(session.status).toBe(200);
    const info = JSON.parse(session.text) as { token: string; allowed: string[]; preset: Record<string, unknown> };
    expect(info.preset).toMatchObject({ host: "127.0.0.1", port: Number(ftpPort), user: "dev", passwordKnown: true });
    expect(info.allowed).toEqual([`127.0.0.1:${ftpPort}`]);
    expect(session.text).not.toContain(password);
    // The page (built by the web demo's build; a note to build it otherwise).
    expect([200, 503]).toContain((await get("/")).status);
    // Logging in with an empty password uses the bundled server's.
    const cookie = session.cookie.split(";")[0] ?? "";
    const res = await fetch(`http://127.0.0.1:${webPort}/api/connect`, {
      method: "POST",
      headers: { cookie, "x-ftpkit-token": info.token, "content-type": "application/json" },
      body: JSON.stringify({ host: "127.0.0.1", port: Number(ftpPort), user: "dev", password: "", secure: false }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ cwd: "/", user: "dev" });
    stop();
    expect(await exit).toBe(0);
    // Both are gone.
    await expect(fetch(`http://127.0.0.1:${webPort}/api/session`)).rejects.toThrow();
  });

  it("--tls: FTPS required with a self-signed certificate, said loudly; the web demo connects over TLS trusting that certificate only", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftpkit-dev-"));
    temps.push(dir);
    const { out, stop, exit } = await runDev([dir, "--port", "0", "--web-port", "0", "--tls"]);
    const text = out.join("\n");
    expect(text).toContain("FTPS required");
    expect(text).toContain("SELF-SIGNED, for local development only");
    const [, ftpPort] = /@127\.0\.0\.1:(\d+)\//.exec(text) ?? [];
    // In the clear, login is refused (TLS required).
    const c = await control(Number(ftpPort));
    expect(await c.next()).toMatch(/^220 /);
    expect(await c.send("USER dev")).toMatch(/^530 /);
    c.socket.destroy();
    const webPort = Number(/^ {2}Web demo {3}http:\/\/127\.0\.0\.1:(\d+)\/$/m.exec(text)?.[1]);
    const session = await fetch(`http://127.0.0.1:${webPort}/api/session`);
    const info = (await session.json()) as { token: string; preset: Record<string, unknown> };
    expect(info.preset).toMatchObject({ port: Number(ftpPort), user: "dev", secure: true });
    const cookie = (session.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const connect = (secure: boolean) =>
      fetch(`http://127.0.0.1:${webPort}/api/connect`, {
        method: "POST",
        headers: { cookie, "x-ftpkit-token": info.token, "content-type": "application/json" },
        body: JSON.stringify({ host: "127.0.0.1", port: Number(ftpPort), user: "dev", password: "", secure }),
      });
    const res = await connect(true);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ cwd: "/", user: "dev", secure: true });
    stop();
    expect(await exit).toBe(0);
  });

  it("says which option to use when the web demo's port is taken", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftpkit-dev-"));
    temps.push(dir);
    const blocker = createServer().listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const taken = (blocker.address() as AddressInfo).port;
    const out: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: (l) => out.push(l), untilStopped: () => new Promise(() => {}) };
    try {
      const code = await main(["node", "ftpkit", "dev", dir, "--port", "0", "--web-port", String(taken)], io);
      expect(code).toBe(1);
      expect(out.join("\n")).toContain(`the web demo's port ${taken} is in use: pick another with --web-port`);
    } finally {
      blocker.close();
    }
  });

  it("runs without the web demo where it is not installed (the published ftpkit), saying so", async () => {
    expect(await loadWebDemo("@ftpkit/no-such-web-demo")).toBe(
      "@ftpkit/no-such-web-demo is not installed (it lives in the ftpkit repository: run `pnpm dev` there)",
    );
    expect(typeof (await loadWebDemo())).toBe("object");
  });
});
