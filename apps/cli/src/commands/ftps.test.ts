/**
 * FTPS from the command line, as real processes: `--tls` and `ftpes://` (explicit, AUTH TLS)
 * and `ftps://` (implicit) against @ftpkit/server (self-signed: `-k`) and vsftpd (its
 * certificate trusted with `--cacert`), with the bytes checked by SHA-256; a certificate that
 * is not trusted exits 3 and says how to trust it.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningPeer, startPeer } from "@ftpkit/interop/src/peers.js";
import { FtpServer, hashPassword } from "@ftpkit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupHome, ftpkit, sha256 } from "../__tests__/process.js";
import { writeFixture } from "../__tests__/targets.js";

const payload = randomBytes(1024 * 1024 + 5);
let local: string;

beforeAll(async () => {
  local = await mkdtemp(join(tmpdir(), "ftpkit-ftps-local-"));
  await writeFile(join(local, "up.bin"), payload);
});
afterAll(async () => {
  await cleanupHome();
  await rm(local, { recursive: true, force: true });
});

describe("FTPS against @ftpkit/server (self-signed)", () => {
  let root: string;
  let server: FtpServer;
  let port: number;
  let implicitPort: number;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "ftpkit-ftps-root-"));
    await writeFile(join(root, "payload.bin"), payload);
    server = new FtpServer({
      host: "127.0.0.1",
      port: 0,
      root,
      users: { tls: await hashPassword("pw") },
      tls: { selfSigned: true, implicitPort: 0, require: "control+data" },
    });
    server.on("warning", () => {});
    ({ port } = await server.listen());
    implicitPort = server.implicitAddress()?.port ?? 0;
  });
  afterAll(async () => {
    await server?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("--tls, ftpes:// and ftps:// move the bytes; -v shows AUTH TLS and no password", async () => {
    const explicit = await ftpkit([
      "-v",
      "get",
      "-k",
      "--tls",
      `ftp://tls:pw@127.0.0.1:${port}/payload.bin`,
      join(local, "a.bin"),
    ]);
    expect(explicit.code, explicit.err).toBe(0);
    expect(explicit.err).toMatch(/^> AUTH TLS$/m);
    expect(explicit.err).not.toMatch(/\bpw\b/);
    expect(sha256(await readFile(join(local, "a.bin")))).toBe(sha256(payload));
    const ftpes = await ftpkit(["put", "-k", join(local, "up.bin"), `ftpes://tls:pw@127.0.0.1:${port}/up.bin`]);
    expect(ftpes.code, ftpes.err).toBe(0);
    expect(sha256(await readFile(join(root, "up.bin")))).toBe(sha256(payload));
    const implicit = await ftpkit(["cat", "-k", `ftps://tls:pw@127.0.0.1:${implicitPort}/payload.bin`]);
    expect(implicit.code, implicit.err).toBe(0);
    expect(sha256(implicit.stdout)).toBe(sha256(payload));
  });

  it("an untrusted certificate exits 3 with a hint; -k without TLS is a usage error", async () => {
    const r = await ftpkit(["ls", "--tls", `ftp://tls:pw@127.0.0.1:${port}/`]);
    expect(r.code).toBe(3);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/certificate.*--cacert FILE, or use -k/);
    const k = await ftpkit(["ls", "-k", `ftp://tls:pw@127.0.0.1:${port}/`]);
    expect(k.code).toBe(2);
    // The server requires TLS: a clear login is refused (exit 4).
    const clear = await ftpkit(["ls", `ftp://tls:pw@127.0.0.1:${port}/`]);
    expect(clear.code).toBe(4);
  });
});

describe("FTPS against vsftpd (--cacert)", () => {
  let explicit: RunningPeer;
  let implicit: RunningPeer;

  beforeAll(async () => {
    [explicit, implicit] = await Promise.all([
      startPeer("vsftpd", { tls: "explicit" }),
      startPeer("vsftpd", { tls: "implicit" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([explicit?.stop(), implicit?.stop()]);
  });

  it("explicit (--tls): get and put, SHA-256 on both sides", async () => {
    const p = explicit;
    await writeFixture({ ...p, name: "vsftpd", owner: p.owner, stop: () => p.stop() }, "payload.bin", payload);
    const base = `ftp://${p.user}:${p.password}@127.0.0.1:${p.port}`;
    const got = await ftpkit([
      "get",
      "--tls",
      "--cacert",
      p.certFile ?? "",
      `${base}/payload.bin`,
      join(local, "v.bin"),
    ]);
    expect(got.code, got.err).toBe(0);
    expect(sha256(await readFile(join(local, "v.bin")))).toBe(sha256(payload));
    const put = await ftpkit(["put", "--tls", "--cacert", p.certFile ?? "", join(local, "up.bin"), `${base}/up.bin`]);
    expect(put.code, put.err).toBe(0);
    expect(sha256(await readFile(join(p.root, "up.bin")))).toBe(sha256(payload));
  });

  it("implicit (ftps://): ls and cat", async () => {
    const p = implicit;
    await writeFixture({ ...p, name: "vsftpd", owner: p.owner, stop: () => p.stop() }, "payload.bin", payload);
    const base = `ftps://${p.user}:${p.password}@127.0.0.1:${p.port}`;
    const ls = await ftpkit(["ls", "--cacert", p.certFile ?? "", `${base}/`]);
    expect(ls.code, ls.err).toBe(0);
    expect(ls.out).toContain("payload.bin");
    const cat = await ftpkit(["cat", "--cacert", p.certFile ?? "", `${base}/payload.bin`]);
    expect(cat.code, cat.err).toBe(0);
    expect(sha256(cat.stdout)).toBe(sha256(payload));
  });
});
