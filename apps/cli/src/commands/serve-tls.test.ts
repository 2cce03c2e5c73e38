/**
 * `ftpkit serve --tls`, `--cert FILE --key FILE` and `--implicit-port N`, in-process, driven
 * by Debian's curl: FTPS required for logins and data, the self-signed certificate said
 * loudly, certificate problems reported as usage errors.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { curl, type FtpTarget } from "@ftpkit/interop/src/third-party-clients.js";
import { afterAll, describe, expect, it } from "vitest";
import { createProgram, main } from "../cli.js";
import type { CliIo } from "../io.js";
import type { RunningServe } from "../serve.js";

const execFileP = promisify(execFile);
const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ftpkit-cli-tls-"));
  temps.push(dir);
  await writeFile(join(dir, "hello.txt"), "hello over TLS\n");
  return dir;
}

function testIo() {
  const out: string[] = [];
  const err: string[] = [];
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), untilStopped: () => stopped };
  return { io: io as unknown as CliIo, out, err, stop };
}

/** Runs `ftpkit serve ...args` in-process until the server is up. */
async function serve(args: readonly string[]) {
  const t = testIo();
  let running: RunningServe | undefined;
  const program = createProgram(t.io, (r) => {
    running = r;
  });
  const exit = program.parseAsync(["node", "ftpkit", "serve", ...args]);
  for (let i = 0; i < 500 && running === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  if (running === undefined) throw new Error(`serve did not start: ${t.err.join("\n")}`);
  return { ...t, running, exit };
}

async function opensslCertificate(dir: string, days = "2"): Promise<{ cert: string; key: string }> {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  await execFileP("/usr/bin/openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    days,
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ]);
  return { cert, key };
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("ftpkit serve with FTPS", () => {
  it("--tls: a self-signed certificate, said loudly; TLS required; implicit FTPS with --implicit-port", async () => {
    const dir = await tempDir();
    const s = await serve([dir, "--port", "0", "--password", "pw", "--tls", "--implicit-port", "0", "-q"]);
    try {
      expect(s.err.join("\n")).toMatch(/^WARNING: FTPS uses a SELF-SIGNED certificate .*LOCAL DEVELOPMENT ONLY/m);
      const text = s.out.join("\n");
      expect(text).toMatch(/FTPS required: explicit \(AUTH TLS\) on port \d+/);
      expect(text).toMatch(/implicit FTPS: ftps:\/\/ftpkit:pw@127\.0\.0\.1:\d+\//);
      const info = s.running.server.certificate;
      expect(info?.selfSigned).toBe(true);
      expect(text).toContain(`certificate SELF-SIGNED, for local development only (SHA-256 ${info?.fingerprint256})`);
      const certFile = join(dir, "..", `${dir.split("/").at(-1)}-ca.pem`);
      await writeFile(certFile, info?.pem as string);
      temps.push(certFile);
      const port = s.running.server.address()?.port as number;
      const implicitPort = s.running.server.implicitAddress()?.port as number;
      const base = { user: "ftpkit", password: "pw", certFile };
      const explicit = await curl({ ...base, port, tls: "explicit" } satisfies FtpTarget, "hello.txt");
      expect(explicit.code, explicit.stderr).toBe(0);
      expect(explicit.stdout.toString()).toBe("hello over TLS\n");
      const implicit = await curl({ ...base, port: implicitPort, tls: "implicit" }, "hello.txt");
      expect(implicit.code, implicit.stderr).toBe(0);
      // In the clear: USER gets 530, curl exits 67.
      const clear = await curl({ ...base, port, tls: false }, "hello.txt");
      expect(clear.code).toBe(67);
    } finally {
      s.stop();
      await s.exit;
    }
  });

  it("--cert and --key: serves with the files' certificate", async () => {
    const dir = await tempDir();
    const pem = await opensslCertificate(await tempDir());
    const s = await serve([dir, "--port", "0", "--password", "pw", "--cert", pem.cert, "--key", pem.key, "-q"]);
    try {
      expect(s.err).toEqual([]);
      const info = s.running.server.certificate;
      expect(info?.selfSigned).toBe(false);
      expect(s.out.join("\n")).toContain(`certificate CN=127.0.0.1 (SHA-256 ${info?.fingerprint256})`);
      const port = s.running.server.address()?.port as number;
      const payload = Buffer.alloc(300_000, 7);
      await writeFile(join(dir, "..", "up.bin"), payload);
      const up = await curl({ user: "ftpkit", password: "pw", certFile: pem.cert, port, tls: "explicit" }, "up.bin", [
        "-T",
        join(dir, "..", "up.bin"),
      ]);
      expect(up.code, up.stderr).toBe(0);
      const down = await curl({ user: "ftpkit", password: "pw", certFile: pem.cert, port, tls: "explicit" }, "up.bin");
      expect(sha(down.stdout)).toBe(sha(payload));
    } finally {
      s.stop();
      await s.exit;
    }
  });

  it("reports a half-given pair, a bad certificate and --implicit-port without TLS as usage errors (exit 2)", async () => {
    const dir = await tempDir();
    const pem = await opensslCertificate(await tempDir());
    const other = await opensslCertificate(await tempDir());
    const cases: [string[], RegExp][] = [
      [["--cert", pem.cert], /give --cert and --key together/],
      [["--key", pem.key], /give --cert and --key together/],
      [["--cert", pem.cert, "--key", other.key], /does not belong to the certificate/],
      [["--cert", join(dir, "missing.pem"), "--key", pem.key], /cannot read the TLS certificate file .*missing\.pem/],
      [["--implicit-port", "0"], /--implicit-port needs --tls/],
    ];
    for (const [args, message] of cases) {
      const t = testIo();
      expect(await main(["node", "ftpkit", "serve", dir, "--port", "0", ...args], t.io), args.join(" ")).toBe(2);
      expect(t.err.join("\n")).toMatch(message);
    }
  });

  it("takes tls, cert, key and implicitPort from --config", async () => {
    const dir = await tempDir();
    const pem = await opensslCertificate(dir);
    const config = join(dir, "ftpkit.yaml");
    await writeFile(config, "cert: cert.pem\nkey: key.pem\nimplicitPort: 0\npassword: pw\nquiet: true\n");
    const s = await serve([dir, "--port", "0", "--config", config]);
    try {
      const implicitPort = s.running.server.implicitAddress()?.port as number;
      const r = await curl(
        { user: "ftpkit", password: "pw", certFile: pem.cert, port: implicitPort, tls: "implicit" },
        "hello.txt",
      );
      expect(r.code, r.stderr).toBe(0);
    } finally {
      s.stop();
      await s.exit;
    }
  });
});
