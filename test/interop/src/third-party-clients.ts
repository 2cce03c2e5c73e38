/**
 * Runs the third-party FTP clients the interop tests drive (curl, lftp, Python's ftplib)
 * against any FTP server on loopback: a real peer from peers.ts or an ftpkit server.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

/** What a client needs to reach a server. */
export interface FtpTarget {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly tls: false | "explicit" | "implicit";
  /** CA file for TLS verification (the server's self-signed certificate). */
  readonly certFile?: string;
}

export interface Run {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export const CURL = "/usr/bin/curl";
export const LFTP = "/usr/bin/lftp";
/** Debian's python3 (the PATH one may be a pyenv shim without Debian's modules). */
export const PYTHON = "/usr/bin/python3";

/** Runs a command with a clean environment, no stdin, and a hard timeout. */
export function run(
  cmd: string,
  args: readonly string[],
  options: { timeoutMs?: number; cwd?: string } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      [...args],
      {
        encoding: "buffer",
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 256 * 1024 * 1024,
        env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", LC_ALL: "C.UTF-8", HOME: process.env["HOME"] ?? "/root" },
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr: stderr.toString("utf8") });
      },
    );
    child.stdin?.end();
  });
}

/** curl with the target's login and TLS flags; `urlPath` is appended after the host (no leading slash). */
export function curl(target: FtpTarget, urlPath: string, extra: readonly string[] = []): Promise<Run> {
  const scheme = target.tls === "implicit" ? "ftps" : "ftp";
  const tlsArgs = target.tls ? ["--ssl-reqd", ...(target.certFile ? ["--cacert", target.certFile] : ["-k"])] : [];
  return run(CURL, [
    "-sS",
    "--max-time",
    "50",
    "--user",
    `${target.user}:${target.password}`,
    ...tlsArgs,
    ...extra,
    `${scheme}://127.0.0.1:${target.port}/${urlPath}`,
  ]);
}

/**
 * lftp with `commands` run after login, stopping at the first failure. TLS is capped at 1.2:
 * with TLS 1.3, lftp can close an upload's data connection with the server's session tickets
 * unread, and the kernel then resets it (seen with pyftpdlib; see test/interop/README.md).
 */
export function lftp(target: FtpTarget, commands: readonly string[], settings: readonly string[] = []): Promise<Run> {
  const base = ["set cmd:fail-exit yes", "set net:max-retries 1", "set net:timeout 20", "set xfer:clobber on"];
  if (target.tls) {
    base.push(
      "set ftp:ssl-force true",
      "set ftp:ssl-protect-data true",
      target.certFile ? `set ssl:ca-file "${target.certFile}"` : "set ssl:verify-certificate no",
      'set ssl:priority "NORMAL:-VERS-TLS1.3"',
    );
  }
  const scheme = target.tls === "implicit" ? "ftps" : "ftp";
  const open = `open -u "${target.user}","${target.password}" ${scheme}://127.0.0.1:${target.port}`;
  return run(LFTP, ["-c", [...base, ...settings, open, ...commands].join("; ")], { timeoutMs: 120_000 });
}

const FTPLIB_CHECKS = fileURLToPath(new URL("./ftplib_client_checks.py", import.meta.url));

/** FTPS variations of the ftplib checks (see ftplib_client_checks.py). */
export interface FtplibOptions {
  /** `reuse` (default): data connections resume the control connection's TLS session; `stock`: FTP_TLS as shipped, which never does. */
  readonly tlsClient?: "reuse" | "stock";
  /** Cap the TLS version at 1.2. */
  readonly maxTls?: "1.2";
  /** Run only these checks (by report key); `many` (20 transfers on one connection) runs only when named. */
  readonly only?: readonly string[];
}

/** Runs the ftplib checks script against the target; returns its JSON report. */
export async function ftplibChecks(
  target: FtpTarget,
  workdir: string,
  options: FtplibOptions = {},
): Promise<Record<string, unknown>> {
  const cfg = JSON.stringify({ ...target, workdir, ...options });
  const r = await run(PYTHON, [FTPLIB_CHECKS, cfg], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`ftplib checks exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout.toString("utf8")) as Record<string, unknown>;
}

export const sha256 = (data: Buffer | Uint8Array) => createHash("sha256").update(data).digest("hex");
