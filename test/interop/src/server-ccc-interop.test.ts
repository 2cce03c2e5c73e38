/**
 * CCC (RFC 4217 §5, "Clearing the Control Port") on our server under clients we did not
 * write: curl (`--ftp-ssl-ccc`, passive mode: the server sends close_notify and curl does not
 * answer; active mode: curl sends its own), lftp (`ftp:ssl-use-ccc`) and Python's ftplib
 * (`FTP_TLS.ccc()`, which answers close_notify with its own). After CCC the control
 * connection is clear text and data connections stay under PROT P.
 *
 * curl and lftp forget the control connection's TLS session at CCC, so their later data
 * connections cannot resume it: a server that requires session reuse refuses them (522),
 * which is why `allowCcc` servers default to `requireSessionReuse: false`. A client that keeps
 * the session (ftplib below) passes the reuse check after CCC too.
 *
 * The server's `ftp:server:session` diagnostics channel shows each CCC was really carried out
 * (`tls-cleared`), not refused or ignored.
 */
import { randomBytes } from "node:crypto";
import diagnosticsChannel from "node:diagnostics_channel";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CHANNELS, FtpServer, hashPassword } from "@ftpkit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curl, type FtpTarget, lftp, PYTHON, run, sha256 } from "./third-party-clients.js";

const PASSWORD = "ccc pass";
const payload = randomBytes(3 * 1024 * 1024 + 17);
const temps: string[] = [];
let local: string;
type Running = { server: FtpServer; root: string; target: FtpTarget };
let allowing: Running;
let reuseRequired: Running;
let refusing: Running;
const cleared: number[] = [];
const onSession = (message: unknown) => {
  if ((message as { type?: string }).type === "tls-cleared")
    cleared.push((message as { connectionId: number }).connectionId);
};

async function start(allowCcc: boolean, requireSessionReuse = false): Promise<Running> {
  const root = await mkdtemp(path.join(os.tmpdir(), "ftpkit-ccc-root-"));
  temps.push(root);
  await writeFile(path.join(root, "payload.bin"), payload);
  const server = new FtpServer({
    host: "127.0.0.1",
    port: 0,
    users: { tester: await hashPassword(PASSWORD) },
    root,
    limits: { failedLoginDelay: 50 },
    tls: { selfSigned: true, allowCcc, requireSessionReuse },
  });
  server.on("warning", () => {}); // the self-signed warning, expected here
  const { port } = await server.listen();
  const certFile = path.join(local, `cert-${port}.pem`);
  await writeFile(certFile, server.certificate?.pem as string);
  const target: FtpTarget = { port, user: "tester", password: PASSWORD, tls: "explicit", certFile };
  return { server, root, target };
}

beforeAll(async () => {
  local = await mkdtemp(path.join(os.tmpdir(), "ftpkit-ccc-local-"));
  temps.push(local);
  await writeFile(path.join(local, "payload.bin"), payload);
  diagnosticsChannel.subscribe(CHANNELS.session, onSession);
  allowing = await start(true);
  reuseRequired = await start(true, true);
  refusing = await start(false);
});

afterAll(async () => {
  diagnosticsChannel.unsubscribe(CHANNELS.session, onSession);
  await allowing?.server.close();
  await reuseRequired?.server.close();
  await refusing?.server.close();
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

/** Runs `action` and returns how many control connections were cleared meanwhile. */
async function clearedDuring<T>(action: () => Promise<T>): Promise<{ result: T; cleared: number }> {
  const before = cleared.length;
  const result = await action();
  return { result, cleared: cleared.length - before };
}

describe("curl --ftp-ssl-ccc against @ftpkit/server", () => {
  for (const mode of ["passive", "active"] as const) {
    it(`${mode} mode, TLS 1.2 and 1.3: downloads and uploads under PROT P after CCC, bytes intact`, async () => {
      for (const version of ["1.2", "1.3"] as const) {
        const flags = ["--ftp-ssl-ccc", "--ftp-ssl-ccc-mode", mode, "--tlsv1.2", "--tls-max", version];
        const down = await clearedDuring(() => curl(allowing.target, "payload.bin", flags));
        expect(down.result.code, down.result.stderr).toBe(0);
        expect(sha256(down.result.stdout)).toBe(sha256(payload));
        expect(down.cleared).toBe(1);
        const name = `curl-${mode}-${version}.bin`;
        const up = await clearedDuring(() =>
          curl(allowing.target, name, [...flags, "-T", path.join(local, "payload.bin")]),
        );
        expect(up.result.code, up.result.stderr).toBe(0);
        expect(up.cleared).toBe(1);
        expect(sha256(await readFile(path.join(allowing.root, name)))).toBe(sha256(payload));
      }
    });
  }

  it("stays encrypted when the server refuses CCC (534, its default): the download still works", async () => {
    const r = await clearedDuring(() => curl(refusing.target, "payload.bin", ["--ftp-ssl-ccc"]));
    expect(r.result.code, r.result.stderr).toBe(0);
    expect(sha256(r.result.stdout)).toBe(sha256(payload));
    expect(r.cleared).toBe(0);
  });

  it("after CCC, a data connection that does not resume the session is still refused where reuse is required (522)", async () => {
    const r = await clearedDuring(() =>
      curl(reuseRequired.target, "payload.bin", ["--ftp-ssl-ccc", "--tls-max", "1.2"]),
    );
    expect(r.cleared).toBe(1);
    expect(r.result.code).not.toBe(0);
    expect(r.result.stdout.length).toBe(0);
  });
});

describe("lftp ftp:ssl-use-ccc against @ftpkit/server", () => {
  it("lists, downloads and uploads after CCC", async () => {
    const r = await clearedDuring(() =>
      lftp(
        allowing.target,
        [
          "cls -1",
          `get payload.bin -o "${path.join(local, "lftp-down.bin")}"`,
          `put "${path.join(local, "payload.bin")}" -o lftp-up.bin`,
        ],
        ["set ftp:ssl-use-ccc yes"],
      ),
    );
    expect(r.result.code, r.result.stderr).toBe(0);
    expect(r.result.stdout.toString("utf8")).toContain("payload.bin");
    expect(r.cleared).toBeGreaterThanOrEqual(1);
    expect(sha256(await readFile(path.join(local, "lftp-down.bin")))).toBe(sha256(payload));
    expect(sha256(await readFile(path.join(allowing.root, "lftp-up.bin")))).toBe(sha256(payload));
  });
});

const FTPLIB_CCC = `
import ftplib, hashlib, io, json, ssl, sys
cfg = json.loads(sys.argv[1])
class F(ftplib.FTP_TLS):
    # Data connections resume the control connection's session, kept from before CCC.
    saved = None
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.saved or self.sock.session)
        return conn, size
out = {}
for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
    ctx = ssl.create_default_context(cafile=cfg["certFile"])
    ctx.maximum_version = version
    ftp = F(context=ctx, timeout=20)
    ftp.connect("127.0.0.1", cfg["port"])
    ftp.login(cfg["user"], cfg["password"])
    ftp.prot_p()
    ftp.retrlines("NLST", lambda line: None)  # a protected transfer before CCC: the session gets its ticket
    ftp.saved = ftp.sock.session
    reply = ftp.ccc()
    clear = getattr(ftp.sock, "_sslobj", None) is None
    digest = hashlib.sha256()
    ftp.retrbinary("RETR payload.bin", digest.update)
    ftp.storbinary("STOR ftplib-%s.bin" % version.name, io.BytesIO(b"after ccc " * 1000))
    names = ftp.nlst()
    pwd = ftp.pwd()
    ftp.quit()
    out[version.name] = {"reply": reply, "clear": clear, "sha256": digest.hexdigest(), "names": sorted(names), "pwd": pwd}
print(json.dumps(out))
`;

describe("Python ftplib FTP_TLS.ccc() against @ftpkit/server", () => {
  it("TLS 1.2 and 1.3: CCC unwraps the control socket; RETR, STOR, NLST, PWD go on in clear text with PROT P data resuming the session", async () => {
    // The server that requires session reuse: ftplib here resumes the session kept from before CCC.
    const server = reuseRequired;
    const cfg = JSON.stringify(server.target);
    const r = await clearedDuring(() => run(PYTHON, ["-c", FTPLIB_CCC, cfg], { timeoutMs: 60_000 }));
    expect(r.result.code, r.result.stderr).toBe(0);
    const report = JSON.parse(r.result.stdout.toString("utf8")) as Record<
      string,
      { reply: string; clear: boolean; sha256: string; names: string[]; pwd: string }
    >;
    for (const version of ["TLSv1_2", "TLSv1_3"]) {
      const v = report[version];
      expect(v?.reply).toMatch(/^200 /);
      expect(v?.clear).toBe(true);
      expect(v?.sha256).toBe(sha256(payload));
      expect(v?.names).toContain(`ftplib-${version}.bin`);
      expect(v?.pwd).toBe("/");
      expect(await readFile(path.join(server.root, `ftplib-${version}.bin`), "latin1")).toBe("after ccc ".repeat(1000));
    }
    expect(r.cleared).toBe(2);
  });
});
