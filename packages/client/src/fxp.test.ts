/**
 * FXP (server-to-server transfers) between two @ftpkit/server instances on loopback: one on
 * 127.0.0.1, one on 127.0.0.2 (Linux routes all of 127/8 to lo), so the two servers' addresses
 * differ and the bounce-attack defences (RFC 2577 §3, §5) see a foreign address. The client
 * connects to both from 127.0.0.1: to the server on 127.0.0.2, a PORT to 127.0.0.1 is its
 * client's own address; to the one on 127.0.0.1, 127.0.0.2 is foreign.
 */
import diagnosticsChannel from "node:diagnostics_channel";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { setTimeout as delay } from "node:timers/promises";
// biome-ignore lint/style/noRestrictedImports: a test may use the server (DESIGN.md "Testing, layer by layer" 3).
import type { Account, FileSystem, MemoryFileSystemSeed, PassiveOptions, UploadMode } from "@ftpkit/server";
// biome-ignore lint/style/noRestrictedImports: a test may use the server (DESIGN.md "Testing, layer by layer" 3).
import { FtpServer, LocalFileSystem, MemoryFileSystem } from "@ftpkit/server";
import { describe, expect, it } from "vitest";
import { FAST, onCleanup, random, sha256, tempDir } from "./__tests__/helpers.js";
import { CA_CERT, SERVER_CERT, SERVER_KEY } from "./__tests__/tls-fixtures.js";
import { Client } from "./client.js";
import { FtpFxpError } from "./errors/ftp-fxp-error.js";
import type { ConnectOptions } from "./options.js";
import type { TransferProgress } from "./transfer/progress.js";
import type { FtpCommandMessage } from "./transport/diagnostics.js";

const MiB = 1024 * 1024;
const big = random(5 * MiB + 321);

/** A memory file system whose downloads trickle (64 KiB every 20 ms), so a transfer can be aborted midway. */
class SlowReadFileSystem extends MemoryFileSystem {
  override async createReadStream(path: string, options?: { start?: number }): Promise<Readable> {
    const inner = await super.createReadStream(path, options);
    return Readable.from(
      (async function* () {
        for await (const chunk of inner as AsyncIterable<Buffer>) {
          for (let i = 0; i < chunk.length; i += 64 * 1024) {
            yield chunk.subarray(i, i + 64 * 1024);
            await delay(20);
          }
        }
      })(),
    );
  }
}

interface Site {
  readonly host: string;
  readonly port: number;
  readonly fs: FileSystem;
  readonly server: FtpServer;
}

async function site(
  host: string,
  options: {
    account?: Partial<Account>;
    passive?: PassiveOptions;
    files?: MemoryFileSystemSeed;
    /** Downloads trickle (see SlowReadFileSystem). */
    slow?: boolean;
    /** A LocalFileSystem in a temp directory instead of memory (with `files` written there). */
    local?: boolean;
    uploadMode?: UploadMode;
    tls?: boolean;
  } = {},
): Promise<Site> {
  let fs: FileSystem;
  if (options.local === true) {
    const root = await tempDir();
    for (const [name, data] of Object.entries(options.files ?? {})) {
      if (data !== null) await writeFile(path.join(root, name), data);
    }
    fs = new LocalFileSystem(root);
  } else {
    fs = options.slow === true ? new SlowReadFileSystem(options.files) : new MemoryFileSystem(options.files);
  }
  const server = new FtpServer({
    host,
    port: 0,
    authenticate: ({ user, password }) =>
      user === "alice" && password === "secret" ? { fs, ...options.account } : null,
    limits: { failedLoginDelay: 0, dataTimeout: 5000 },
    ...(options.passive === undefined ? {} : { passive: options.passive }),
    ...(options.uploadMode === undefined ? {} : { uploadMode: options.uploadMode }),
    ...(options.tls === true ? { tls: { cert: SERVER_CERT, key: SERVER_KEY, require: "control" as const } } : {}),
  });
  const { port } = await server.listen();
  onCleanup(() => server.close());
  return { host, port, fs, server };
}

async function clientFor(s: Site, extra: Partial<ConnectOptions> = {}): Promise<Client> {
  const client = await Client.connect({
    host: s.host,
    port: s.port,
    user: "alice",
    password: "secret",
    ...FAST,
    ...extra,
  });
  onCleanup(() => client.close());
  return client;
}

async function contents(s: Site, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await s.fs.createReadStream(path)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The commands the client sends while `fn` runs, per server port. */
async function recordCommands<T>(fn: () => Promise<T>): Promise<{ result: T; commands: Map<number, string[]> }> {
  const commands = new Map<number, string[]>();
  const onCommand = (m: unknown) => {
    const message = m as FtpCommandMessage;
    commands.set(message.port, [...(commands.get(message.port) ?? []), message.command]);
  };
  diagnosticsChannel.subscribe("ftp:client:command", onCommand);
  try {
    return { result: await fn(), commands };
  } finally {
    diagnosticsChannel.unsubscribe("ftp:client:command", onCommand);
  }
}

describe("FXP between two @ftpkit/server instances (127.0.0.1 and 127.0.0.2)", () => {
  it("copies a multi-MiB file both ways when both accounts allow fxp (EPSV to the destination, EPRT to the source)", async () => {
    const one = await site("127.0.0.1", { account: { fxp: true }, files: { "/big.bin": big } });
    const two = await site("127.0.0.2", { account: { fxp: true } });
    const a = await clientFor(one);
    const b = await clientFor(two);

    const { result: there, commands } = await recordCommands(() => a.transferTo("big.bin", b, "copy.bin"));
    expect(there).toEqual({ bytes: big.length, passive: "destination", commands: ["EPSV", "EPRT"], refused: [] });
    expect(sha256(await contents(two, "/copy.bin"))).toBe(sha256(big));
    expect(commands.get(two.port)).toEqual(expect.arrayContaining(["EPSV", "STOR copy.bin"]));
    expect(commands.get(one.port)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^EPRT \|1\|127\.0\.0\.2\|\d+\|$/), "RETR big.bin"]),
    );

    const back = await b.transferTo("copy.bin", a, "back.bin");
    expect(back).toMatchObject({ bytes: big.length, passive: "destination", refused: [] });
    expect(sha256(await contents(one, "/back.bin"))).toBe(sha256(big));
    // Both control connections go on.
    expect(await a.size("back.bin")).toBe(big.length);
    expect(await b.list()).toEqual([expect.objectContaining({ name: "copy.bin", size: big.length })]);
  });

  // On disk, the server that connects to a passive server that refuses it (RFC 2577 §8) may
  // wait for the data that never comes instead of answering: the order is then given up when
  // the passive side has not started half a reply timeout after the other one did.
  it.each([
    ["memory", false],
    ["disk", true],
  ])(
    "is refused with the anti-bounce reply when neither account allows fxp (%s); both clients stay usable",
    async (_name, local) => {
      const one = await site("127.0.0.1", { local, files: { "/big.bin": big } });
      const two = await site("127.0.0.2", { local, files: { "/other.bin": big.subarray(0, 1000) } });
      const a = await clientFor(one);
      const b = await clientFor(two);
      for (const [from, to, path] of [
        [a, b, "big.bin"],
        [b, a, "other.bin"],
      ] as const) {
        const error = await from.transferTo(path, to, "copy.bin").catch((e: unknown) => e);
        expect(FtpFxpError.isInstance(error)).toBe(true);
        const fxpError = error as FtpFxpError;
        expect(fxpError.code).toBe("FTP_ERR_FXP_REFUSED");
        expect(fxpError.attempts.map((x) => x.passive)).toEqual(["destination", "source"]);
        // The server on 127.0.0.1 refuses PORT and EPRT to 127.0.0.2 (RFC 2577 §3: 500 Illegal PORT command).
        const bounce = fxpError.attempts.find((x) => x.reason === "address");
        expect(bounce).toMatchObject({ code: 500, command: expect.stringMatching(/^PORT 127,0,0,2,/) });
        expect(bounce?.message).toMatch(/refused 500 Illegal EPRT command.*then 500 Illegal PORT command/);
        // ... and takes no data connection from 127.0.0.2 (RFC 2577 §8) in the other order.
        expect(fxpError.attempts.find((x) => x.reason === "data-connection")).toBeDefined();
        expect(fxpError.message).toMatch(/^FXP refused: destination passive: .*; source passive: /);
      }
      expect(await a.size("big.bin")).toBe(big.length);
      expect(await b.size("other.bin")).toBe(1000);
      expect(await a.pwd()).toBe("/");
      expect(await b.pwd()).toBe("/");
    },
  );

  it("falls back to the source listening when the source refuses PORT but takes foreign data connections", async () => {
    const one = await site("127.0.0.1", { passive: { allowForeignDataPeer: true }, files: { "/big.bin": big } });
    const two = await site("127.0.0.2");
    const a = await clientFor(one);
    const b = await clientFor(two);
    const result = await a.transferTo("big.bin", b, "copy.bin");
    expect(result).toMatchObject({ bytes: big.length, passive: "source", commands: ["EPSV", "EPRT"] });
    expect(result.refused).toEqual([
      expect.objectContaining({ passive: "destination", side: "source", reason: "address", code: 500 }),
    ]);
    expect(sha256(await contents(two, "/copy.bin"))).toBe(sha256(big));
    // `passive: "source"` tries that order first.
    const direct = await a.transferTo("big.bin", b, "copy2.bin", { passive: "source" });
    expect(direct).toMatchObject({ passive: "source", refused: [] });
  });

  it("uses PASV and PORT with servers that refused EPSV and EPRT", async () => {
    const one = await site("127.0.0.1", { account: { fxp: true }, files: { "/big.bin": big } });
    const two = await site("127.0.0.2", { account: { fxp: true } });
    // What a client learned about a server without EPSV/EPRT: ftpkit remembers refusals per client.
    const a = await clientFor(one);
    const b = await clientFor(two);
    (a as unknown as { hints: { eprt: boolean } }).hints.eprt = false;
    (b as unknown as { hints: { epsv: boolean } }).hints.epsv = false;
    const result = await a.transferTo("big.bin", b, "copy.bin");
    expect(result).toMatchObject({ passive: "destination", commands: ["PASV", "PORT"] });
    expect(sha256(await contents(two, "/copy.bin"))).toBe(sha256(big));
  });

  it("resumes with offset: REST on both servers", async () => {
    const offset = 2 * MiB + 7;
    const one = await site("127.0.0.1", { account: { fxp: true }, files: { "/big.bin": big } });
    const two = await site("127.0.0.2", { account: { fxp: true }, files: { "/part.bin": big.subarray(0, offset) } });
    const a = await clientFor(one);
    const b = await clientFor(two);
    const { result, commands } = await recordCommands(() => a.transferTo("big.bin", b, "part.bin", { offset }));
    expect(result).toMatchObject({ bytes: big.length - offset, passive: "destination" });
    expect(commands.get(one.port)).toContain(`REST ${offset}`);
    expect(commands.get(two.port)).toContain(`REST ${offset}`);
    expect(sha256(await contents(two, "/part.bin"))).toBe(sha256(big));
    await expect(a.transferTo("big.bin", b, "x.bin", { offset: big.length + 1 })).rejects.toThrow(RangeError);
  });

  it("reports progress from the destination's size and aborts midway with ABOR on both; both clients stay usable", async () => {
    const one = await site("127.0.0.1", { account: { fxp: true }, slow: true, files: { "/big.bin": big } });
    // "standard" uploads write in place, so SIZE sees the file grow.
    const two = await site("127.0.0.2", { account: { fxp: true }, uploadMode: "standard" });
    const a = await clientFor(one);
    const b = await clientFor(two);
    const controller = new AbortController();
    const reason = new Error("stop");
    const seen: TransferProgress[] = [];
    const { result, commands } = await recordCommands(() =>
      a
        .transferTo("big.bin", b, "copy.bin", {
          signal: controller.signal,
          onProgress: (p) => {
            seen.push(p);
            if (p.bytes > MiB) controller.abort(reason);
          },
        })
        .catch((e: unknown) => e),
    );
    expect(result).toBe(reason);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((p) => p.total === big.length && p.bytes <= big.length)).toBe(true);
    expect(commands.get(one.port)).toContain("ABOR");
    expect(commands.get(two.port)).toContain("ABOR");
    // In step, on the same connections: nothing was reconnected.
    expect(await a.size("big.bin")).toBe(big.length);
    expect((await b.size("copy.bin")) < big.length).toBe(true);
    expect(one.server.connectionCount + two.server.connectionCount).toBe(2);

    // And a whole transfer reports its progress up to the total.
    const progress: TransferProgress[] = [];
    await a.transferTo("big.bin", b, "copy.bin", { onProgress: (p) => progress.push(p) });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toMatchObject({ bytes: big.length, total: big.length });
    expect(progress.map((p) => p.bytes)).toEqual([...progress.map((p) => p.bytes)].sort((x, y) => x - y));
    expect(sha256(await contents(two, "/copy.bin"))).toBe(sha256(big));
  });

  it("fails on the source's 550 before the destination is touched", async () => {
    const one = await site("127.0.0.1", { account: { fxp: true } });
    const two = await site("127.0.0.2", { account: { fxp: true } });
    const a = await clientFor(one);
    const b = await clientFor(two);
    const { result: error, commands } = await recordCommands(() =>
      a.transferTo("missing.bin", b, "copy.bin").catch((e: unknown) => e),
    );
    expect(error).toMatchObject({ code: "FTP_ERR_FXP_FAILED", side: "source", cause: { code: 550 } });
    expect(commands.get(two.port) ?? []).not.toContain("STOR copy.bin");
    await expect(b.size("copy.bin")).rejects.toMatchObject({ code: 550 });
  });

  it("fails on the destination's refusal (553) naming the destination, and ends the source's RETR", async () => {
    const one = await site("127.0.0.1", { account: { fxp: true }, files: { "/big.bin": big } });
    const two = await site("127.0.0.2", { account: { fxp: true, permissions: "read-only" } });
    const a = await clientFor(one);
    const b = await clientFor(two);
    const error = await a.transferTo("big.bin", b, "copy.bin").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "FTP_ERR_FXP_FAILED", side: "destination", command: "STOR copy.bin" });
    expect(FtpFxpError.isInstance(error) && (error.cause as { code?: number }).code).toBeGreaterThanOrEqual(500);
    expect(await a.pwd()).toBe("/");
    expect(await b.pwd()).toBe("/");
  });

  it("serialises with both clients' other calls, and two opposite FXP calls do not wait for each other", async () => {
    const one = await site("127.0.0.1", { account: { fxp: true }, files: { "/a.bin": big.subarray(0, MiB) } });
    const two = await site("127.0.0.2", { account: { fxp: true }, files: { "/b.bin": big.subarray(MiB, 2 * MiB) } });
    const a = await clientFor(one);
    const b = await clientFor(two);
    const calls = await Promise.all([
      a.upload(Buffer.from("x"), "x.txt"),
      a.transferTo("a.bin", b, "from-a.bin"),
      b.transferTo("b.bin", a, "from-b.bin"),
      b.list(),
      a.size("x.txt"),
      b.transferTo("b.bin", a, "from-b-2.bin"),
    ]);
    expect(calls[4]).toBe(1);
    expect(sha256(await contents(two, "/from-a.bin"))).toBe(sha256(big.subarray(0, MiB)));
    expect(sha256(await contents(one, "/from-b.bin"))).toBe(sha256(big.subarray(MiB, 2 * MiB)));
    expect(sha256(await contents(one, "/from-b-2.bin"))).toBe(sha256(big.subarray(MiB, 2 * MiB)));
  });

  it("refuses the same client twice, and FTPS clients that protect data (PROT P); PROT C works", async () => {
    const one = await site("127.0.0.1", { account: { fxp: true }, tls: true, files: { "/big.bin": big } });
    const two = await site("127.0.0.2", { account: { fxp: true }, tls: true });
    const a = await clientFor(one, { secure: true, secureOptions: { ca: CA_CERT } });
    await expect(a.transferTo("big.bin", a, "copy.bin")).rejects.toThrow(TypeError);

    // The test certificate names 127.0.0.1, not 127.0.0.2.
    const secure = (extra: Partial<ConnectOptions>): Partial<ConnectOptions> => ({
      secure: true,
      secureOptions: { ca: CA_CERT, checkServerIdentity: () => undefined },
      ...extra,
    });
    const sa = await clientFor(one, secure({}));
    const sb = await clientFor(two, secure({}));
    await expect(sa.transferTo("big.bin", sb, "copy.bin")).rejects.toMatchObject({
      code: "FTP_ERR_FXP_TLS",
      side: undefined,
      message: expect.stringMatching(/SSCN or CPSV.*dataProtection: "clear"/),
    });
    expect(await sa.pwd()).toBe("/");

    const ca = await clientFor(one, secure({ dataProtection: "clear" }));
    const cb = await clientFor(two, secure({ dataProtection: "clear" }));
    await expect(ca.transferTo("big.bin", sb, "copy.bin")).rejects.toMatchObject({
      code: "FTP_ERR_FXP_TLS",
      side: "destination",
    });
    const result = await ca.transferTo("big.bin", cb, "copy.bin");
    expect(result).toMatchObject({ bytes: big.length, passive: "destination" });
    expect(sha256(await contents(two, "/copy.bin"))).toBe(sha256(big));
  });
});
