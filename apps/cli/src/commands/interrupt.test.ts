/**
 * Ctrl-C during a transfer (the real process gets SIGINT): the transfer ends with ABOR, the
 * exit code is 130, no file appears under its final name, and `get -c` finishes the job.
 * Also: colour only when asked for, never with NO_COLOR.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { FtpServer, LocalFileSystem } from "@ftpkit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, binary, cleanupHome, ftpkit, sha256, start } from "../__tests__/process.js";
import { shellQuote as quote, Tmux } from "../__tests__/tmux.js";

/** Serves `slow.bin` at about 1.5 MiB/s (64 KiB every 40 ms). */
class SlowFileSystem extends LocalFileSystem {
  override async createReadStream(path: string, options: { start?: number } = {}): Promise<Readable> {
    const stream = await super.createReadStream(path, options);
    if (!path.endsWith("slow.bin")) return stream;
    const slow = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        const pieces: Buffer[] = [];
        for (let i = 0; i < chunk.length; i += 65536) pieces.push(chunk.subarray(i, i + 65536));
        const next = () => {
          const piece = pieces.shift();
          if (piece === undefined) return callback();
          this.push(piece);
          setTimeout(next, 40);
        };
        next();
      },
    });
    stream.on("error", (e) => slow.destroy(e));
    slow.on("close", () => stream.destroy());
    return stream.pipe(slow);
  }
}

let root: string;
let local: string;
let server: FtpServer;
let port: number;
const payload = randomBytes(6 * 1024 * 1024);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ftpkit-int-root-"));
  local = await mkdtemp(join(tmpdir(), "ftpkit-int-local-"));
  await writeFile(join(root, "slow.bin"), payload);
  await mkdir(join(root, "folder"));
  server = new FtpServer({ host: "127.0.0.1", port: 0, authenticate: () => ({ fs: new SlowFileSystem(root) }) });
  ({ port } = await server.listen());
});

afterAll(async () => {
  await server?.close();
  await cleanupHome();
  await rm(root, { recursive: true, force: true });
  await rm(local, { recursive: true, force: true });
});

describe("Ctrl-C", () => {
  it("get: exit 130, the partial file kept as .part only, get -c completes it", async () => {
    const dest = join(local, "slow.bin");
    const url = `ftp://any:thing@127.0.0.1:${port}/slow.bin`;
    const run = await start(["get", url, dest]);
    const end = Date.now() + 20_000;
    while (((await stat(`${dest}.part`).catch(() => undefined))?.size ?? 0) < 256 * 1024) {
      if (Date.now() > end) throw new Error(`no progress: ${run.errLines.join("\n")}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    expect(run.errLines.join("\n")).toMatch(/interrupted/);
    expect(run.errLines.join("\n")).toContain("resume with get -c");
    await expect(stat(dest)).rejects.toThrow();
    const partial = (await stat(`${dest}.part`)).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(payload.length);
    const resumed = await ftpkit(["get", "-c", "--json", url, dest]);
    expect(resumed.code, resumed.err).toBe(0);
    expect(JSON.parse(resumed.out)).toMatchObject({ offset: partial, size: payload.length });
    expect(sha256(await readFile(dest))).toBe(sha256(payload));
  });
});

describe("progress bar", () => {
  it("is drawn on a terminal (bytes, rate, ETA), then replaced by the summary; -q draws none", async () => {
    const url = `ftp://any:thing@127.0.0.1:${port}/slow.bin`;
    const command = (extra: string, name: string) =>
      `${quote(process.execPath)} ${quote(binary())} get ${extra} ${quote(url)} ${quote(join(local, name))}; echo EXIT=$?; sleep 600`;
    const term = await Tmux.start(command("", "bar.bin"), baseEnv(local));
    try {
      const screen = await term.waitFor(
        /slow\.bin \[=*>? *\] +\d+% [\d.]+ [KM]iB\/6\.0 MiB [\d.]+ [KM]iB\/s ETA \d+:\d\d/,
      );
      expect(screen).toContain("ETA");
      const done = await term.waitFor(/EXIT=0/, 30_000);
      expect(done).toMatch(/downloaded .*bar\.bin: 6\.0 MiB in/);
      expect(done).not.toMatch(/ETA/);
    } finally {
      await term.kill();
    }
    const quiet = await Tmux.start(command("-q", "quiet.bin"), baseEnv(local));
    try {
      const done = await quiet.waitFor(/EXIT=0/, 30_000);
      expect(done).not.toMatch(/ETA|%|downloaded/);
    } finally {
      await quiet.kill();
    }
    expect(sha256(await readFile(join(local, "quiet.bin")))).toBe(sha256(payload));
  });
});

describe("colour", () => {
  it("is used with FORCE_COLOR and never with NO_COLOR", async () => {
    const url = `ftp://any:thing@127.0.0.1:${port}/`;
    const plain = await ftpkit(["ls", "-l", url]);
    expect(plain.out).not.toContain("\u001b[");
    const forced = await ftpkit(["ls", "-l", url], { env: { FORCE_COLOR: "1" } });
    expect(forced.out).toMatch(/\u001b\[\d+m.*folder/);
    const both = await ftpkit(["ls", "-l", url], { env: { FORCE_COLOR: "1", NO_COLOR: "1" } });
    expect(both.out).not.toContain("\u001b[");
    expect(both.out).toMatch(/^d\S+ +- .* folder$/m);
  });
});
