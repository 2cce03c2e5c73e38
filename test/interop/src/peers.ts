/**
 * Real third-party FTP servers for interoperability tests: vsftpd, pure-ftpd, ProFTPD and pyftpdlib,
 * each started on demand on 127.0.0.1 with a fresh temp root, a throwaway login, its own config,
 * free control and passive ports and (optionally) a fresh self-signed certificate.
 *
 * Install the peers first (as root): `bash test/interop/peers/install.sh`.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { accessSync, closeSync, constants, existsSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, open, rm, unlink, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

export type PeerName = "vsftpd" | "pure-ftpd" | "proftpd" | "pyftpdlib";
export type PeerTls = false | "explicit" | "implicit";

export const PEER_NAMES: readonly PeerName[] = ["vsftpd", "pure-ftpd", "proftpd", "pyftpdlib"];

export interface StartPeerOptions {
  /** false (default): plain FTP. "explicit": AUTH TLS on the control port. "implicit": TLS from the first byte. */
  tls?: PeerTls;
  /**
   * With TLS: refuse clients that do not protect both the control and the data connections
   * (default true). false: TLS is offered but optional.
   */
  requireTls?: boolean;
  /** Allow PORT/EPRT to and PASV data connections from other addresses than the client's (FXP). Default false. */
  permitForeignAddresses?: boolean;
  /**
   * Directory in which the instance's temp dir (config, logs, FTP root) is made (default
   * `os.tmpdir()`), e.g. a tmpfs for benchmarks. Port lock files stay in `os.tmpdir()`.
   */
  parentDir?: string;
  /**
   * Sessions the server accepts at once, in total and from one address (default 200; pyftpdlib
   * 256): vsftpd `max_clients`/`max_per_ip`, pure-ftpd `-c`/`-C`, ProFTPD `MaxInstances`,
   * pyftpdlib `max_cons`.
   */
  maxConnections?: number;
  /** Size of the passive port range (default 20): as many data connections can be pending at once. */
  passivePortCount?: number;
  /**
   * No per-command or per-transfer log (default false: everything is logged, for debugging
   * tests). vsftpd without `xferlog_enable`/`log_ftp_protocol`, pure-ftpd without `-O`, ProFTPD
   * with `TransferLog NONE`, pyftpdlib at WARNING. For benchmarks.
   */
  quiet?: boolean;
}

export interface RunningPeer {
  name: PeerName;
  host: "127.0.0.1";
  port: number;
  user: string;
  password: string;
  /** Host directory that is the user's FTP root ("/"), writable through FTP. */
  root: string;
  tls: PeerTls;
  /** PEM certificate of the server (self-signed, CN and SAN IP 127.0.0.1) when tls is set. */
  certFile?: string;
  /** Inclusive passive port range the server was configured with. */
  pasvPorts: [number, number];
  /** PID of the server's master process (also its process group id). */
  pid: number;
  /** Temp dir of this instance (config, logs, certificate, root); removed by stop(). */
  dir: string;
  /** uid/gid that files created through FTP belong to; give fixtures you create in `root` to them. */
  owner: { uid: number; gid: number };
  /** Log files of this instance (read them before stop(): the dir is removed). */
  logFiles: string[];
  stop(): Promise<void>;
}

export interface PeerFeatures {
  /** Implicit FTPS (TLS from the first byte) can be started. */
  implicitTls: boolean;
  /** MLSD/MLST (RFC 3659) answered. */
  mlsd: boolean;
  /** Active mode (PORT/EPRT) works. */
  activeMode: boolean;
  /** TYPE A converts line endings (LF on disk, CRLF on the wire). */
  asciiConversion: boolean;
  /** With TLS, data connections must resume the control connection's TLS session. */
  tlsSessionReuseRequired: boolean;
  /** `OPTS UTF8 ON` answered with 2xx (all of them serve UTF-8 names either way). */
  optsUtf8: boolean;
  /**
   * FTPS: accepts a data connection whose TLS handshake starts before the transfer command is
   * sent (curl does that). pyftpdlib 1.5.7 closes such a connection, so curl cannot transfer.
   */
  dataTlsBeforeCommand: boolean;
}

/** What each peer does in this harness's configuration (verified by src/peers.test.ts). */
export const PEER_FEATURES: Readonly<Record<PeerName, Readonly<PeerFeatures>>> = {
  vsftpd: {
    implicitTls: true,
    mlsd: false,
    activeMode: true,
    asciiConversion: true,
    tlsSessionReuseRequired: true,
    optsUtf8: true,
    dataTlsBeforeCommand: true,
  },
  "pure-ftpd": {
    implicitTls: false,
    mlsd: true,
    activeMode: true,
    asciiConversion: true,
    tlsSessionReuseRequired: false,
    optsUtf8: false,
    dataTlsBeforeCommand: true,
  },
  proftpd: {
    implicitTls: true,
    mlsd: true,
    activeMode: true,
    asciiConversion: true,
    tlsSessionReuseRequired: true,
    optsUtf8: true,
    dataTlsBeforeCommand: true,
  },
  pyftpdlib: {
    implicitTls: false,
    mlsd: true,
    activeMode: true,
    asciiConversion: true,
    tlsSessionReuseRequired: false,
    optsUtf8: false,
    dataTlsBeforeCommand: false,
  },
};

/** Whether `startPeer(name, { tls: "implicit" })` is supported. */
export function peerImplicitTls(name: PeerName): boolean {
  return PEER_FEATURES[name].implicitTls;
}

// ---------------------------------------------------------------------------------------------
// Locations

/** Where install.sh unpacks the peers that conflict with vsftpd. */
export const PEERS_DIR = process.env["FTPKIT_PEERS_DIR"] ?? "/opt/ftpkit-peers";
export const INSTALL_SCRIPT = fileURLToPath(new URL("../peers/install.sh", import.meta.url));
const PYFTPDLIB_SCRIPT = fileURLToPath(new URL("../peers/pyftpdlib_server.py", import.meta.url));
/** Debian's python3 (python3-pyftpdlib lives there), not whatever python3 comes first in PATH. */
export const PYTHON = "/usr/bin/python3";
const OPENSSL = "/usr/bin/openssl";
const VSFTPD = "/usr/sbin/vsftpd";
const PURE_TREE = path.join(PEERS_DIR, "pure-ftpd", "root");
const PURE_FTPD = path.join(PURE_TREE, "usr/sbin/pure-ftpd");
const PURE_PW = path.join(PURE_TREE, "usr/bin/pure-pw");
const PROFTPD_TREE = path.join(PEERS_DIR, "proftpd", "root");
const PROFTPD = path.join(PROFTPD_TREE, "usr/sbin/proftpd");
const PROFTPD_MOD_TLS = path.join(PROFTPD_TREE, "usr/lib/proftpd/mod_tls.so");
const PAM_PWDFILE = [
  "/lib/x86_64-linux-gnu/security/pam_pwdfile.so",
  "/usr/lib/x86_64-linux-gnu/security/pam_pwdfile.so",
];
/** Local account the peers' virtual users map to (created by install.sh). */
export const PEER_SYSTEM_USER = "ftpkitpeer";
const PAM_DIR = "/etc/pam.d";
const PAM_PREFIX = "ftpkit-vsftpd-";
const PASV_RANGE_SIZE = 20;
const START_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
const BASE_ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };

// ---------------------------------------------------------------------------------------------
// Availability

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function systemUser(name: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const f = line.split(":");
    if (f[0] === name && f[2] !== undefined && f[3] !== undefined) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** Why `name` cannot be started here, or undefined if it can. */
export function peerUnavailableReason(name: PeerName): string | undefined {
  const hint = `; run \`bash ${INSTALL_SCRIPT}\` as root`;
  if (process.platform !== "linux") return "the peers run on Linux (Debian packages) only";
  if (!executable(OPENSSL)) return `${OPENSSL} missing${hint}`;
  if (name !== "pyftpdlib" && !isRoot()) return `${name} must be started as root (chroot, setuid to the virtual user)`;
  switch (name) {
    case "vsftpd":
      if (!executable(VSFTPD)) return `${VSFTPD} missing (apt vsftpd)${hint}`;
      if (!PAM_PWDFILE.some((f) => existsSync(f))) return `pam_pwdfile.so missing (apt libpam-pwdfile)${hint}`;
      if (!systemUser(PEER_SYSTEM_USER)) return `local user ${PEER_SYSTEM_USER} missing${hint}`;
      return undefined;
    case "pure-ftpd":
      if (!executable(PURE_FTPD) || !executable(PURE_PW)) return `${PURE_FTPD} or pure-pw missing${hint}`;
      if (!systemUser(PEER_SYSTEM_USER)) return `local user ${PEER_SYSTEM_USER} missing${hint}`;
      return undefined;
    case "proftpd":
      if (!executable(PROFTPD) || !existsSync(PROFTPD_MOD_TLS)) return `${PROFTPD} or mod_tls.so missing${hint}`;
      if (!systemUser(PEER_SYSTEM_USER)) return `local user ${PEER_SYSTEM_USER} missing${hint}`;
      return undefined;
    case "pyftpdlib":
      if (!executable(PYTHON)) return `${PYTHON} missing${hint}`;
      if (!existsSync("/usr/lib/python3/dist-packages/pyftpdlib/handlers.py"))
        return `pyftpdlib missing (apt python3-pyftpdlib)${hint}`;
      if (!existsSync("/usr/lib/python3/dist-packages/OpenSSL"))
        return `pyOpenSSL missing (apt python3-openssl), needed by TLS_FTPHandler${hint}`;
      return undefined;
  }
}

/** Whether the peer's binaries (and what it needs to start) are present. */
export function peerAvailable(name: PeerName): boolean {
  return peerUnavailableReason(name) === undefined;
}

/** Runs install.sh (root, network to the Debian mirror needed). Resolves with its output. */
export async function installPeers(): Promise<string> {
  const { stdout } = await execFileP("/bin/bash", [INSTALL_SCRIPT], {
    env: { ...process.env, CI: "true", DEBIAN_FRONTEND: "noninteractive" },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

// ---------------------------------------------------------------------------------------------
// Ports: control port from the kernel (bind 0), passive range below the ephemeral range. Every
// port is also reserved by a lock file so that parallel test workers never pick the same one.

const PORT_LOCK_DIR = path.join(os.tmpdir(), "ftpkit-interop-ports");

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function reservePort(port: number): Promise<string | undefined> {
  await mkdir(PORT_LOCK_DIR, { recursive: true });
  const file = path.join(PORT_LOCK_DIR, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, "wx");
      await fh.writeFile(String(process.pid));
      await fh.close();
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(file, "utf8"));
      } catch {}
      if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) return undefined;
      await unlink(file).catch(() => {});
    }
  }
  return undefined;
}

function listenProbe(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(undefined));
    srv.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      const addr = srv.address();
      const got = typeof addr === "object" && addr ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (lo && hi) return [lo, hi];
  } catch {}
  return [32768, 60999];
}

async function allocatePorts(
  pasvCount = PASV_RANGE_SIZE,
): Promise<{ port: number; pasv: [number, number]; locks: string[] }> {
  const locks: string[] = [];
  let port = 0;
  for (let attempt = 0; attempt < 50 && !port; attempt++) {
    const p = await listenProbe(0);
    if (!p) continue;
    const lock = await reservePort(p);
    if (lock) {
      port = p;
      locks.push(lock);
    }
  }
  if (!port) throw new Error("no free control port on 127.0.0.1");
  const [ephLo] = ephemeralRange();
  const lo = 20_000;
  const hi = ephLo > lo + pasvCount + 1_000 ? ephLo - pasvCount - 1 : 30_000;
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = randomInt(lo, hi);
    const got: string[] = [];
    let ok = true;
    for (let p = base; p < base + pasvCount && ok; p++) {
      const lock = await reservePort(p);
      if (lock) got.push(lock);
      ok = lock !== undefined && (await listenProbe(p)) === p;
    }
    if (ok) return { port, pasv: [base, base + pasvCount - 1], locks: [...locks, ...got] };
    await Promise.all(got.map((f) => unlink(f).catch(() => {})));
  }
  await Promise.all(locks.map((f) => unlink(f).catch(() => {})));
  throw new Error(`no free range of ${pasvCount} passive ports on 127.0.0.1`);
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping

interface Instance {
  name: PeerName;
  child: ChildProcess;
  pid: number;
  dir: string;
  /** Files outside dir to delete on stop (port locks, PAM service). */
  files: string[];
  exited: boolean;
  exit: Promise<void>;
  stopping?: Promise<void>;
}

const running = new Set<Instance>();
let exitHandlerInstalled = false;

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {}
}

function cleanupSync(inst: Instance): void {
  for (const f of inst.files) rmSync(f, { force: true });
  rmSync(inst.dir, { recursive: true, force: true });
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on("exit", () => {
    for (const inst of running) {
      tryKill(-inst.pid, "SIGKILL");
      tryKill(inst.pid, "SIGKILL");
      cleanupSync(inst);
    }
    running.clear();
  });
}

/**
 * A detached watchdog per instance: when this Node process dies without running its 'exit'
 * handler (SIGKILL, SIGTERM from a test runner), it kills the server's process group and removes
 * the instance's files. It exits by itself as soon as the server is gone.
 */
function spawnReaper(inst: Instance): void {
  const script = `node=$1 pid=$2; shift 2
while kill -0 "$node" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
kill -0 "$node" 2>/dev/null && exit 0
kill -TERM -- "-$pid" 2>/dev/null; sleep 1; kill -KILL -- "-$pid" 2>/dev/null
rm -rf -- "$@"`;
  const r = spawn(
    "/bin/bash",
    ["-c", script, "ftpkit-interop-reaper", String(process.pid), String(inst.pid), inst.dir, ...inst.files],
    {
      detached: true,
      stdio: "ignore",
    },
  );
  r.unref();
}

async function stopInstance(inst: Instance): Promise<void> {
  inst.stopping ??= (async () => {
    if (!inst.exited) {
      tryKill(inst.pid, "SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const exitedInTime = await Promise.race([
        inst.exit.then(() => true),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(false), STOP_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
      if (!exitedInTime) {
        tryKill(-inst.pid, "SIGKILL");
        tryKill(inst.pid, "SIGKILL");
        await inst.exit;
      }
    }
    // session processes the master left behind (pure-ftpd's keep running without it)
    tryKill(-inst.pid, "SIGKILL");
    for (let i = 0; i < 100 && liveProcessesInGroup(inst.pid).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    running.delete(inst);
    await Promise.all(inst.files.map((f) => rm(f, { force: true })));
    await rm(inst.dir, { recursive: true, force: true });
  })();
  return inst.stopping;
}

function logTail(files: string[], lines = 40): string {
  return files
    .filter((f) => existsSync(f))
    .map((f) => {
      const text = readFileSync(f, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      return `--- ${path.basename(f)} ---\n${text}`;
    })
    .join("\n");
}

/** Connects (TLS from the start if implicit), reads the greeting, sends QUIT. Resolves with the greeting. */
export function readGreeting(port: number, implicitTls = false, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = implicitTls
      ? tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false, servername: "" })
      : net.connect({ host: "127.0.0.1", port });
    let buf = "";
    let settled = false;
    const finish = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        sock.destroy();
        reject(err);
      } else {
        sock.end("QUIT\r\n");
        sock.setTimeout(1_000, () => sock.destroy());
        resolve(buf);
      }
    };
    const timer = setTimeout(
      () => finish(new Error(`no greeting within ${timeoutMs} ms: ${JSON.stringify(buf)}`)),
      timeoutMs,
    );
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      buf += d;
      const m = /(?:^|\n)(\d{3}) [^\n]*\n/.exec(buf);
      if (m) finish(m[1] === "220" ? undefined : new Error(`greeting is not 220: ${JSON.stringify(buf)}`));
    });
    sock.on("error", (e) => finish(e));
    sock.on("close", () => finish(new Error(`closed before the greeting: ${JSON.stringify(buf)}`)));
  });
}

// ---------------------------------------------------------------------------------------------
// Per-peer configuration

interface Ctx {
  name: PeerName;
  dir: string;
  root: string;
  port: number;
  pasv: [number, number];
  user: string;
  password: string;
  tls: PeerTls;
  requireTls: boolean;
  permitForeignAddresses: boolean;
  /** undefined: each server's default (200; pyftpdlib 256). */
  maxConnections: number | undefined;
  quiet: boolean;
  cert: string;
  key: string;
  owner: { uid: number; gid: number };
}

interface Launch {
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  logFiles: string[];
  /** Files outside the instance dir that stop() must delete. */
  files?: string[];
}

/** crypt(3) SHA-512 hash ($6$), understood by pam_pwdfile, pure-ftpd and ProFTPD. */
async function sha512Crypt(password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = execFile(OPENSSL, ["passwd", "-6", "-stdin"], { env: BASE_ENV }, (err, stdout) =>
      err ? reject(err) : resolve(stdout.trim()),
    );
    c.stdin?.end(`${password}\n`);
  });
}

function removeStalePamServices(): void {
  let names: string[] = [];
  try {
    names = readdirSync(PAM_DIR).filter((n) => n.startsWith(PAM_PREFIX));
  } catch {
    return;
  }
  for (const n of names) {
    const file = path.join(PAM_DIR, n);
    try {
      const m = /pwdfile=(\S+)/.exec(readFileSync(file, "utf8"));
      if (!m?.[1] || !existsSync(m[1])) rmSync(file, { force: true });
    } catch {}
  }
}

async function vsftpd(c: Ctx): Promise<Launch> {
  removeStalePamServices();
  const pwdfile = path.join(c.dir, "vsftpd.passwd");
  await writeFile(pwdfile, `${c.user}:${await sha512Crypt(c.password)}\n`, { mode: 0o600 });
  // Linux-PAM lowercases service names: keep ours lowercase or /etc/pam.d/other (deny) applies
  const service = `${PAM_PREFIX}${randomBytes(6).toString("hex")}`;
  const pamFile = path.join(PAM_DIR, service);
  await writeFile(
    pamFile,
    `# ftpkit interop vsftpd instance ${c.dir} (removed by stop())\n` +
      `auth required pam_pwdfile.so nodelay pwdfile=${pwdfile}\n` +
      "account required pam_permit.so\n",
    { mode: 0o644 },
  );
  const empty = path.join(c.dir, "empty");
  await mkdir(empty, { mode: 0o755 });
  const log = path.join(c.dir, "vsftpd.log");
  const lines = [
    "listen=YES",
    "listen_ipv6=NO",
    "listen_address=127.0.0.1",
    `listen_port=${c.port}`,
    "background=NO",
    "anonymous_enable=NO",
    "local_enable=YES",
    // virtual user (checked by pam_pwdfile) mapped to the local account ftpkitpeer
    "guest_enable=YES",
    `guest_username=${PEER_SYSTEM_USER}`,
    "virtual_use_local_privs=YES",
    `pam_service_name=${service}`,
    "userlist_enable=NO",
    "write_enable=YES",
    "local_umask=022",
    "chroot_local_user=YES",
    "allow_writeable_chroot=YES",
    `local_root=${c.root}`,
    `secure_chroot_dir=${empty}`,
    "pasv_enable=YES",
    `pasv_min_port=${c.pasv[0]}`,
    `pasv_max_port=${c.pasv[1]}`,
    "port_enable=YES",
    "connect_from_port_20=NO",
    `pasv_promiscuous=${c.permitForeignAddresses ? "YES" : "NO"}`,
    `port_promiscuous=${c.permitForeignAddresses ? "YES" : "NO"}`,
    "ascii_upload_enable=YES",
    "ascii_download_enable=YES",
    "utf8_filesystem=YES",
    "seccomp_sandbox=NO",
    "text_userdb_names=YES",
    "delay_failed_login=0",
    `max_clients=${c.maxConnections ?? 200}`,
    `max_per_ip=${c.maxConnections ?? 200}`,
    ...(c.quiet
      ? ["xferlog_enable=NO", "log_ftp_protocol=NO"]
      : ["xferlog_enable=YES", "xferlog_std_format=NO", "log_ftp_protocol=YES", `vsftpd_log_file=${log}`]),
  ];
  if (c.tls) {
    lines.push(
      "ssl_enable=YES",
      `rsa_cert_file=${c.cert}`,
      `rsa_private_key_file=${c.key}`,
      "ssl_sslv2=NO",
      "ssl_sslv3=NO",
      "ssl_tlsv1=YES",
      "require_ssl_reuse=YES",
      "ssl_ciphers=HIGH",
      "allow_anon_ssl=NO",
      `force_local_logins_ssl=${c.requireTls ? "YES" : "NO"}`,
      `force_local_data_ssl=${c.requireTls ? "YES" : "NO"}`,
      `implicit_ssl=${c.tls === "implicit" ? "YES" : "NO"}`,
      "debug_ssl=YES",
    );
  }
  const conf = path.join(c.dir, "vsftpd.conf");
  await writeFile(conf, `${lines.join("\n")}\n`, { mode: 0o600 });
  return { cmd: VSFTPD, args: [conf], logFiles: c.quiet ? [] : [log], files: [pamFile] };
}

async function pureFtpd(c: Ctx): Promise<Launch> {
  if (c.tls === "implicit") throw new Error("unreachable");
  const passwd = path.join(c.dir, "pureftpd.passwd");
  const pdb = path.join(c.dir, "pureftpd.pdb");
  // pure-pw's own hashes are argon2id (slow on purpose); pure-ftpd also checks crypt(3) ones.
  const hash = await sha512Crypt(c.password);
  await writeFile(passwd, `${c.user}:${hash}:${c.owner.uid}:${c.owner.gid}::${c.root}/./::::::::::::\n`, {
    mode: 0o600,
  });
  await execFileP(PURE_PW, ["mkdb", pdb, "-f", passwd], { env: BASE_ENV });
  const xfer = path.join(c.dir, "pure-ftpd.xfer.log");
  const args = [
    "-S",
    `127.0.0.1,${c.port}`,
    "-4",
    "-p",
    `${c.pasv[0]}:${c.pasv[1]}`,
    "-P",
    "127.0.0.1",
    "-l",
    `puredb:${pdb}`,
    "-A",
    "-E",
    "-j",
    "-H",
    "-c",
    String(c.maxConnections ?? 200),
    "-C",
    String(c.maxConnections ?? 200),
    "-g",
    path.join(c.dir, "pure-ftpd.pid"),
    ...(c.quiet ? [] : ["-O", `clf:${xfer}`]),
  ];
  if (c.permitForeignAddresses) args.push("-w");
  if (c.tls) args.push("-Y", c.requireTls ? "3" : "1", "-2", `${c.cert},${c.key}`);
  return { cmd: PURE_FTPD, args, logFiles: c.quiet ? [] : [xfer] };
}

async function proftpd(c: Ctx): Promise<Launch> {
  const passwd = path.join(c.dir, "ftpd.passwd");
  const group = path.join(c.dir, "ftpd.group");
  const hash = await sha512Crypt(c.password);
  await writeFile(passwd, `${c.user}:${hash}:${c.owner.uid}:${c.owner.gid}:ftpkit peer:${c.root}:/bin/false\n`, {
    mode: 0o600,
  });
  await writeFile(group, `${PEER_SYSTEM_USER}:x:${c.owner.gid}:\n`, { mode: 0o600 });
  const sys = path.join(c.dir, "proftpd.system.log");
  const xfer = path.join(c.dir, "proftpd.xfer.log");
  const tlsLog = path.join(c.dir, "proftpd.tls.log");
  const lines = [
    `ServerName "ftpkit interop proftpd"`,
    "ServerType standalone",
    "UseIPv6 off",
    "DefaultAddress 127.0.0.1",
    "SocketBindTight on",
    `Port ${c.port}`,
    `PassivePorts ${c.pasv[0]} ${c.pasv[1]}`,
    `MaxInstances ${c.maxConnections ?? 200}`,
    "User nobody",
    "Group nogroup",
    "Umask 022",
    `PidFile ${c.dir}/proftpd.pid`,
    `ScoreboardFile ${c.dir}/proftpd.scoreboard`,
    `DelayTable ${c.dir}/proftpd.delay`,
    "WtmpLog off",
    "UseLastlog off",
    "UseReverseDNS off",
    // mod_delay (built in) pads every USER/PASS by ~0.4 s to hide timing: not wanted in tests
    "<IfModule mod_delay.c>",
    "  DelayEngine off",
    "</IfModule>",
    "<IfModule mod_ident.c>",
    "  IdentLookups off",
    "</IfModule>",
    "<IfModule mod_ctrls.c>",
    "  ControlsEngine off",
    "</IfModule>",
    `SystemLog ${sys}`,
    `TransferLog ${c.quiet ? "NONE" : xfer}`,
    "AuthOrder mod_auth_file.c",
    `AuthUserFile ${passwd}`,
    `AuthGroupFile ${group}`,
    "RequireValidShell off",
    "UseFtpUsers off",
    "DefaultRoot ~",
    "AllowOverwrite on",
    "AllowStoreRestart on",
    "AllowRetrieveRestart on",
    `AllowForeignAddress ${c.permitForeignAddresses ? "on" : "off"}`,
    "UseEncoding UTF-8 UTF-8",
    "<IfModule mod_facts.c>",
    "  FactsAdvertise on",
    "</IfModule>",
  ];
  if (c.tls) {
    lines.push(
      "<IfModule mod_dso.c>",
      `  ModulePath ${PROFTPD_TREE}/usr/lib/proftpd`,
      "  LoadModule mod_tls.c",
      "</IfModule>",
      "<IfModule mod_tls.c>",
      "  TLSEngine on",
      `  TLSLog ${tlsLog}`,
      "  TLSProtocol TLSv1.2 TLSv1.3",
      `  TLSRSACertificateFile ${c.cert}`,
      `  TLSRSACertificateKeyFile ${c.key}`,
      "  TLSVerifyClient off",
      `  TLSRequired ${c.requireTls ? "on" : "off"}`,
      "  TLSRenegotiate none",
      ...(c.tls === "implicit" ? ["  TLSOptions UseImplicitSSL"] : []),
      "</IfModule>",
    );
  }
  const conf = path.join(c.dir, "proftpd.conf");
  await writeFile(conf, `${lines.join("\n")}\n`, { mode: 0o600 });
  return {
    cmd: PROFTPD,
    args: ["-n", "-q", "-c", conf],
    env: { LD_LIBRARY_PATH: path.join(PROFTPD_TREE, "usr/lib/x86_64-linux-gnu") },
    logFiles: [sys, ...(c.quiet ? [] : [xfer]), ...(c.tls ? [tlsLog] : [])],
  };
}

async function pyftpdlib(c: Ctx): Promise<Launch> {
  if (c.tls === "implicit") throw new Error("unreachable");
  const args = [
    PYFTPDLIB_SCRIPT,
    "--port",
    String(c.port),
    "--passive",
    `${c.pasv[0]}-${c.pasv[1]}`,
    "--user",
    c.user,
    "--password",
    c.password,
    "--root",
    c.root,
  ];
  if (c.tls) args.push("--tls", "explicit", "--cert", c.cert, "--key", c.key);
  if (c.tls && c.requireTls) args.push("--require-tls");
  if (c.permitForeignAddresses) args.push("--permit-foreign-addresses");
  if (c.maxConnections !== undefined) args.push("--max-cons", String(c.maxConnections));
  if (c.quiet) args.push("--log-level", "WARNING");
  return { cmd: PYTHON, args, env: { PYTHONUTF8: "1", PYTHONDONTWRITEBYTECODE: "1" }, logFiles: [] };
}

const CONFIGURE: Record<PeerName, (c: Ctx) => Promise<Launch>> = {
  vsftpd,
  "pure-ftpd": pureFtpd,
  proftpd,
  pyftpdlib,
};

let rsaKey: Promise<string> | undefined;

/**
 * A fresh self-signed certificate (CN 127.0.0.1, SAN IP:127.0.0.1 and DNS:localhost, 2 days) per
 * start. The RSA 2048 key is generated once per process: generating it takes 50 ms to over 1 s.
 */
async function makeCertificate(certFile: string, keyFile: string): Promise<void> {
  rsaKey ??= execFileP(OPENSSL, ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], {
    env: BASE_ENV,
  }).then((r) => r.stdout);
  let pem: string;
  try {
    pem = await rsaKey;
  } catch (e) {
    rsaKey = undefined;
    throw e;
  }
  await writeFile(keyFile, pem, { mode: 0o600 });
  await execFileP(
    OPENSSL,
    [
      "req",
      "-x509",
      "-key",
      keyFile,
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-out",
      certFile,
    ],
    { env: BASE_ENV },
  );
}

// ---------------------------------------------------------------------------------------------

/**
 * Starts a fresh instance of `name` on 127.0.0.1 and resolves once it has sent its 220 greeting.
 * Throws if the peer is not installed, or for a TLS mode the peer does not support
 * (implicit TLS: see peerImplicitTls).
 */
export async function startPeer(name: PeerName, options: StartPeerOptions = {}): Promise<RunningPeer> {
  const tlsMode: PeerTls = options.tls ?? false;
  if (!PEER_NAMES.includes(name)) throw new Error(`unknown peer ${JSON.stringify(name)}`);
  if (tlsMode !== false && tlsMode !== "explicit" && tlsMode !== "implicit")
    throw new Error(`tls must be false, "explicit" or "implicit", not ${JSON.stringify(tlsMode)}`);
  if (tlsMode === "implicit" && !peerImplicitTls(name)) {
    throw new Error(
      `${name} does not support implicit FTPS here (${name === "pure-ftpd" ? "Debian's pure-ftpd 1.0.50 is built without implicit TLS" : "pyftpdlib 1.5.7 has no implicit TLS mode"}); use tls: "explicit"`,
    );
  }
  const { maxConnections, passivePortCount } = options;
  if (maxConnections !== undefined && !(Number.isInteger(maxConnections) && maxConnections >= 1))
    throw new Error(`maxConnections must be a positive integer, not ${JSON.stringify(maxConnections)}`);
  if (
    passivePortCount !== undefined &&
    !(Number.isInteger(passivePortCount) && passivePortCount >= 1 && passivePortCount <= 5_000)
  )
    throw new Error(`passivePortCount must be an integer from 1 to 5000, not ${JSON.stringify(passivePortCount)}`);
  const reason = peerUnavailableReason(name);
  if (reason) throw new Error(`${name} is not available: ${reason}`);
  const t0 = Date.now();

  const owner = isRoot()
    ? (systemUser(PEER_SYSTEM_USER) ?? { uid: 0, gid: 0 })
    : { uid: os.userInfo().uid, gid: os.userInfo().gid };
  const dir = await mkdtemp(path.join(options.parentDir ?? os.tmpdir(), `ftpkit-${name}-`));
  // mkdtemp gives 0700: the servers' unprivileged processes must be able to traverse it
  await chmod(dir, 0o755);
  const root = path.join(dir, "root");
  await mkdir(root, { mode: 0o755 });
  if (isRoot()) await chown(root, owner.uid, owner.gid);

  let ports: Awaited<ReturnType<typeof allocatePorts>> | undefined;
  let inst: Instance | undefined;
  try {
    ports = await allocatePorts(options.passivePortCount ?? PASV_RANGE_SIZE);
    const ctx: Ctx = {
      name,
      dir,
      root,
      port: ports.port,
      pasv: ports.pasv,
      user: `u${randomBytes(4).toString("hex")}`,
      password: randomBytes(12).toString("hex"),
      tls: tlsMode,
      requireTls: options.requireTls ?? true,
      permitForeignAddresses: options.permitForeignAddresses ?? false,
      maxConnections: options.maxConnections,
      quiet: options.quiet ?? false,
      cert: path.join(dir, "cert.pem"),
      key: path.join(dir, "key.pem"),
      owner,
    };
    if (tlsMode) await makeCertificate(ctx.cert, ctx.key);
    const launch = await CONFIGURE[name](ctx);
    const out = path.join(dir, `${name}.out.log`);
    const fd = openSync(out, "a");
    let child: ChildProcess;
    try {
      child = spawn(launch.cmd, launch.args, {
        cwd: dir,
        detached: true, // own process group: stop() can reach the session processes too
        stdio: ["ignore", fd, fd],
        env: { ...BASE_ENV, ...launch.env },
      });
    } finally {
      closeSync(fd);
    }
    const files = [...ports.locks, ...(launch.files ?? [])];
    ports = undefined; // owned by the instance now
    let exitInfo = "";
    let markExited!: () => void;
    const exit = new Promise<void>((r) => {
      markExited = r;
    });
    if (child.pid === undefined) {
      const err = await new Promise<Error>((r) => child.once("error", r));
      for (const f of files) rmSync(f, { force: true });
      throw new Error(`${name}: cannot run ${launch.cmd}: ${err.message}`);
    }
    const created: Instance = { name, child, pid: child.pid, dir, files, exited: false, exit };
    inst = created;
    child.once("exit", (code, signal) => {
      created.exited = true;
      exitInfo = signal ? `signal ${signal}` : `code ${code}`;
      markExited();
    });
    running.add(created);
    installExitHandler();
    spawnReaper(created);

    const logFiles = [out, ...launch.logFiles];
    let lastError: unknown;
    for (;;) {
      if (created.exited) throw new Error(`${name} exited (${exitInfo}) before it was ready\n${logTail(logFiles)}`);
      if (Date.now() - t0 > START_TIMEOUT_MS) {
        throw new Error(`${name} not ready within ${START_TIMEOUT_MS} ms: ${String(lastError)}\n${logTail(logFiles)}`);
      }
      try {
        await readGreeting(ctx.port, tlsMode === "implicit");
        break;
      } catch (e) {
        lastError = e;
        await new Promise((r) => setTimeout(r, 30));
      }
    }

    const peer: RunningPeer = {
      name,
      host: "127.0.0.1",
      port: ctx.port,
      user: ctx.user,
      password: ctx.password,
      root,
      tls: tlsMode,
      pasvPorts: ctx.pasv,
      pid: created.pid,
      dir,
      owner,
      logFiles,
      stop: () => stopInstance(created),
    };
    if (tlsMode) peer.certFile = ctx.cert;
    return peer;
  } catch (e) {
    if (inst) await stopInstance(inst);
    else await rm(dir, { recursive: true, force: true });
    if (ports) await Promise.all(ports.locks.map((f) => unlink(f).catch(() => {})));
    throw e;
  }
}

/** Stops every peer this process started and has not stopped yet. */
export async function stopAllPeers(): Promise<void> {
  await Promise.all([...running].map((i) => stopInstance(i)));
}

/** PIDs of live (non-zombie) processes in process group `pgid` (zombies left to PID 1 are ignored). */
export function liveProcessesInGroup(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp ...: comm may contain spaces, so parse after the last ')'
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") pids.push(Number(entry));
    } catch {}
  }
  return pids;
}
