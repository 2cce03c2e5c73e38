/**
 * Proves the harness with third-party clients only (curl, Python's ftplib): every peer starts on
 * loopback in every TLS mode it supports, accepts its throwaway login, stores, serves and lists
 * files, and is gone (process group, temp dir, port locks) after stop().
 *
 * A peer that is not installed FAILS here with the reason (run peers/install.sh as root); set
 * FTPKIT_INTEROP_ALLOW_MISSING=1 to skip such peers instead, visibly.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  liveProcessesInGroup,
  PEER_FEATURES,
  PEER_NAMES,
  PEERS_DIR,
  type PeerName,
  type PeerTls,
  PYTHON,
  peerImplicitTls,
  peerUnavailableReason,
  type RunningPeer,
  readGreeting,
  startPeer,
  stopAllPeers,
} from "./peers.js";
import { CURL, curl, lftp, type Run, run, sha256 } from "./third-party-clients.js";

const PROBE = fileURLToPath(new URL("./ftplib_probe.py", import.meta.url));
const allowMissing = process.env["FTPKIT_INTEROP_ALLOW_MISSING"] === "1";

function expectOk(r: Run, what: string): void {
  expect(r.code, `${what} failed: ${r.stderr}`).toBe(0);
}

function modesOf(name: PeerName): PeerTls[] {
  return peerImplicitTls(name) ? [false, "explicit", "implicit"] : [false, "explicit"];
}

async function assertStopped(peer: RunningPeer): Promise<void> {
  await peer.stop();
  expect(() => process.kill(peer.pid, 0), `PID ${peer.pid} still exists`).toThrow(/ESRCH/);
  expect(liveProcessesInGroup(peer.pid), "processes left in the server's process group").toEqual([]);
  expect(existsSync(peer.dir), `${peer.dir} not removed`).toBe(false);
  const locks = path.join(os.tmpdir(), "ftpkit-interop-ports");
  const left = existsSync(locks) ? readdirSync(locks).map(Number) : [];
  expect(left).not.toContain(peer.port);
  expect(left).not.toContain(peer.pasvPorts[0]);
  if (peer.name === "vsftpd") {
    const pam = readdirSync("/etc/pam.d").filter((n) => n.startsWith("ftpkit-vsftpd-"));
    for (const n of pam) expect(await readFile(path.join("/etc/pam.d", n), "utf8")).not.toContain(peer.dir);
  }
  await expect(readGreeting(peer.port, peer.tls === "implicit", 1_000)).rejects.toThrow();
}

let scratch = "";
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "ftpkit-interop-test-"));
});
afterAll(async () => {
  await stopAllPeers();
  await rm(scratch, { recursive: true, force: true });
});

describe.each(PEER_NAMES.map((n) => [n]))("%s", (name) => {
  const reason = peerUnavailableReason(name);
  const t = reason && allowMissing ? test.skip : test;

  if (reason && allowMissing) console.warn(`[interop] SKIPPING ${name}: ${reason}`);
  t("is installed", () => {
    expect(reason, `${name} cannot run here: ${reason}`).toBeUndefined();
  });

  for (const mode of modesOf(name)) {
    t(`tls=${mode}: curl uploads, downloads (same SHA-256), lists; stop() leaves nothing`, async () => {
      const t0 = Date.now();
      const peer = await startPeer(name, { tls: mode });
      const startMs = Date.now() - t0;
      console.info(`[interop] ${name} tls=${mode} started in ${startMs} ms on 127.0.0.1:${peer.port}`);
      try {
        expect(peer.host).toBe("127.0.0.1");
        expect(peer.tls).toBe(mode);
        expect(peer.pasvPorts[1] - peer.pasvPorts[0]).toBe(19);
        if (mode) expect(existsSync(peer.certFile!)).toBe(true);
        else expect(peer.certFile).toBeUndefined();

        const data = randomBytes(3 * 1024 * 1024 + 17);
        const local = path.join(scratch, `${name}-${mode}-up.bin`);
        const base = path.basename(local);
        await writeFile(local, data);

        if (mode && !PEER_FEATURES[name].dataTlsBeforeCommand) {
          // curl starts the data connection's TLS handshake before it sends STOR/RETR/LIST;
          // pyftpdlib 1.5.7 closes such a data connection. Documented, then lftp does the job.
          const r = await curl(peer, "", ["-T", local]);
          expect(r.code, "curl FTPS against pyftpdlib unexpectedly works: update PEER_FEATURES").not.toBe(0);
          const back = path.join(scratch, `${name}-${mode}-down.bin`);
          const l = await lftp(peer, [`put "${local}" -o "${base}"`, `get "${base}" -o "${back}"`, "cls -1"]);
          expectOk(l, "lftp put/get/cls");
          expect(sha256(await readFile(path.join(peer.root, base)))).toBe(sha256(data));
          expect(sha256(await readFile(back))).toBe(sha256(data));
          expect(l.stdout.toString("utf8").split(/\r?\n/)).toContain(base);
        } else {
          expectOk(await curl(peer, "", ["-T", local]), "upload");
          const onDisk = await readFile(path.join(peer.root, base));
          expect(sha256(onDisk)).toBe(sha256(data));

          const down = await curl(peer, base);
          expectOk(down, "download");
          expect(sha256(down.stdout)).toBe(sha256(data));

          const list = await curl(peer, "");
          expectOk(list, "list");
          expect(list.stdout.toString("utf8")).toContain(base);
          const nlst = await curl(peer, "", ["--list-only"]);
          expectOk(nlst, "name list");
          expect(nlst.stdout.toString("utf8").split(/\r?\n/)).toContain(base);

          // resume a download (REST + RETR)
          const part = await curl(peer, base, ["-r", "1000-"]);
          expectOk(part, "ranged download");
          expect(sha256(part.stdout)).toBe(sha256(data.subarray(1000)));
        }

        if (!mode) {
          // the wrong password is refused (plain only: pure-ftpd and pyftpdlib pause 3-4 s after it)
          const bad = await run(CURL, ["-sS", "--user", `${peer.user}:wrong`, `ftp://127.0.0.1:${peer.port}/`]);
          expect(bad.code).toBe(67);
        }

        if (mode === "explicit") {
          // requireTls (default): no login in clear text
          const clear = await run(CURL, [
            "-sS",
            "--user",
            `${peer.user}:${peer.password}`,
            `ftp://127.0.0.1:${peer.port}/`,
          ]);
          expect(clear.code, clear.stderr).not.toBe(0);
        }
      } finally {
        await assertStopped(peer);
      }
    });
  }

  if (!peerImplicitTls(name)) {
    t("implicit TLS is refused with a clear error", async () => {
      await expect(startPeer(name, { tls: "implicit" })).rejects.toThrow(/does not support implicit FTPS/);
    });
  }

  t("ftplib: FEAT, UTF-8 names, MLSD, REST, ASCII mode, active mode", async () => {
    const peer = await startPeer(name);
    try {
      const r = await run(PYTHON, [
        PROBE,
        JSON.stringify({ port: peer.port, user: peer.user, password: peer.password, tls: false }),
      ]);
      expectOk(r, "ftplib probe");
      const report = JSON.parse(r.stdout.toString("utf8"));
      const f = PEER_FEATURES[name];
      expect(report.utf8Name).toEqual({ listed: true, roundTrip: true });
      expect(report.rest).toBe("456789");
      if (f.mlsd) expect(report.mlsd).toContain("ünï 名 ✓.txt");
      else expect(report.mlsd.error).toMatch(/^error_perm: 5\d\d/);
      expect(report.asciiDownload).toBe(f.asciiConversion ? "a\r\nb\r\n" : "a\nb\n");
      expect(report.optsUtf8.startsWith("2")).toBe(f.optsUtf8);
      expect(report.active).toEqual(f.activeMode ? { roundTrip: true, listed: true } : expect.anything());
      const feat = report.feat.join("\n");
      if (f.mlsd) expect(feat).toMatch(/MLST/);
      expect(feat).toMatch(/UTF8/);
      expect(await readFile(path.join(peer.root, "ünï 名 ✓.txt"), "utf8")).toBe("ünï 名 ✓.txt".repeat(10));
    } finally {
      await assertStopped(peer);
    }
  });

  t("ftplib over explicit FTPS with TLS session reuse, passive and active", async () => {
    const peer = await startPeer(name, { tls: "explicit" });
    try {
      const r = await run(PYTHON, [
        PROBE,
        JSON.stringify({ port: peer.port, user: peer.user, password: peer.password, tls: "explicit" }),
      ]);
      expectOk(r, "ftplib probe");
      const report = JSON.parse(r.stdout.toString("utf8"));
      expect(report.utf8Name).toEqual({ listed: true, roundTrip: true });
      expect(report.rest).toBe("456789");
      expect(report.active).toEqual({ roundTrip: true, listed: true });
      expect(report.feat.join("\n")).toMatch(/AUTH TLS/);
    } finally {
      await assertStopped(peer);
    }
  });

  t("TLS 1.2 and TLS 1.3 are both negotiated (openssl s_client), explicit and implicit", async () => {
    for (const mode of modesOf(name).filter((m) => m !== false)) {
      const peer = await startPeer(name, { tls: mode });
      try {
        for (const version of ["-tls1_2", "-tls1_3"]) {
          const r = await run("/usr/bin/openssl", [
            "s_client",
            "-connect",
            `127.0.0.1:${peer.port}`,
            ...(mode === "explicit" ? ["-starttls", "ftp"] : []),
            version,
            "-CAfile",
            peer.certFile!,
            "-verify_return_error",
            "-verify_ip",
            "127.0.0.1",
            "-brief",
          ]);
          expect(r.stderr, `${mode} ${version}`).toContain(
            `Protocol version: ${version === "-tls1_2" ? "TLSv1.2" : "TLSv1.3"}`,
          );
          expect(r.stderr).toContain("Verification: OK");
        }
      } finally {
        await assertStopped(peer);
      }
    }
  });

  t("requireTls: false offers TLS but accepts clear-text sessions", async () => {
    const peer = await startPeer(name, { tls: "explicit", requireTls: false });
    try {
      const plain = await run(CURL, [
        "-sS",
        "--user",
        `${peer.user}:${peer.password}`,
        `ftp://127.0.0.1:${peer.port}/`,
      ]);
      expectOk(plain, "clear-text list");
      if (PEER_FEATURES[name].dataTlsBeforeCommand) expectOk(await curl(peer, ""), "TLS list");
      else expectOk(await lftp(peer, ["cls -1"]), "TLS list");
    } finally {
      await assertStopped(peer);
    }
  });

  t("curl in active mode (PORT/EPRT), plain", async () => {
    const peer = await startPeer(name);
    try {
      const data = randomBytes(200_000);
      const local = path.join(scratch, `${name}-active.bin`);
      await writeFile(local, data);
      expectOk(await curl(peer, "", ["-P", "127.0.0.1", "-T", local]), "active upload");
      const down = await curl(peer, path.basename(local), ["-P", "127.0.0.1"]);
      expectOk(down, "active download");
      expect(sha256(down.stdout)).toBe(sha256(data));
      const list = await curl(peer, "", ["-P", "127.0.0.1", "--disable-eprt"]);
      expectOk(list, "active list with PORT");
      expect(list.stdout.toString("utf8")).toContain(path.basename(local));
    } finally {
      await assertStopped(peer);
    }
  });

  t("two instances at once get their own ports, logins and roots", async () => {
    const [a, b] = await Promise.all([startPeer(name), startPeer(name)]);
    try {
      expect(a.port).not.toBe(b.port);
      expect(a.pasvPorts[0] > b.pasvPorts[1] || b.pasvPorts[0] > a.pasvPorts[1]).toBe(true);
      expect(a.user).not.toBe(b.user);
      expect(a.root).not.toBe(b.root);
      const fa = path.join(scratch, `${name}-a.txt`);
      await writeFile(fa, "a");
      expectOk(await curl(a, "", ["-T", fa]), "upload to a");
      expect((await curl(b, "", ["--list-only"])).stdout.toString()).not.toContain("a.txt");
      const cross = await run(CURL, ["-sS", "--user", `${a.user}:${a.password}`, `ftp://127.0.0.1:${b.port}/`]);
      expect(cross.code).toBe(67);
    } finally {
      await Promise.all([assertStopped(a), assertStopped(b)]);
    }
  });
});

describe("cleanup when the test process dies", () => {
  // Runs peers.ts in a separate Node process (transpiled with TypeScript), starts pure-ftpd there,
  // then ends that process without calling stop().
  const name: PeerName = "pure-ftpd";
  const t = peerUnavailableReason(name) && allowMissing ? test.skip : test;

  async function childStartsPeer(how: "exit" | "SIGKILL"): Promise<{ pid: number; dir: string }> {
    const ts = await import("typescript");
    const src = await readFile(fileURLToPath(new URL("./peers.ts", import.meta.url)), "utf8");
    const js = ts.transpileModule(src, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    }).outputText;
    const dir = await mkdtemp(path.join(scratch, "child-"));
    await writeFile(path.join(dir, "peers.mjs"), js);
    await writeFile(
      path.join(dir, "main.mjs"),
      `import { startPeer } from "./peers.mjs";
const p = await startPeer(${JSON.stringify(name)});
console.log(JSON.stringify({ pid: p.pid, dir: p.dir }));
${how === "exit" ? 'process.stdin.once("data", () => process.exit(0));' : "setInterval(() => {}, 1000);"}`,
    );
    const child = spawn(process.execPath, [path.join(dir, "main.mjs")], {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, FTPKIT_PEERS_DIR: PEERS_DIR },
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0]!);
      });
      child.once("exit", (code) => reject(new Error(`child exited with ${code} before starting the peer`)));
    });
    const info = JSON.parse(line) as { pid: number; dir: string };
    expect(liveProcessesInGroup(info.pid).length).toBeGreaterThan(0);
    if (how === "SIGKILL") child.kill("SIGKILL");
    else child.stdin.write("exit\n");
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once("exit", r)));
    return info;
  }

  async function waitGone(info: { pid: number; dir: string }, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while ((liveProcessesInGroup(info.pid).length > 0 || existsSync(info.dir)) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(liveProcessesInGroup(info.pid)).toEqual([]);
    expect(existsSync(info.dir)).toBe(false);
  }

  t("process.exit(): the 'exit' handler kills the server and removes its dir", async () => {
    const info = await childStartsPeer("exit");
    // synchronous in the handler: nothing to wait for
    await waitGone(info, 500);
  });

  t("SIGKILL: the detached reaper kills the server within a few seconds", async () => {
    const info = await childStartsPeer("SIGKILL");
    await waitGone(info, 6_000);
  });
});
