/**
 * Clients that are programs: curl and lftp (Debian, installed by the interop install script)
 * and Python's ftplib (a small script run by /usr/bin/python3).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { run, runOk } from "../../util/spawn.js";
import type { ClientRunner, DownloadSink, ListCommand, ServerInstance, TimedSample, TransferSample } from "../types.js";

const CURL = "/usr/bin/curl";
const LFTP = "/usr/bin/lftp";
const PYTHON = "/usr/bin/python3";
const FTPLIB_SCRIPT = fileURLToPath(new URL("../../../scripts/ftplib_client.py", import.meta.url));

const TRANSFER_TIMEOUT_MS = 600_000;
const OP_TIMEOUT_MS = 300_000;

function url(server: ServerInstance, remote: string): string {
  return `ftp://${server.host}:${server.port}/${remote.replace(/^\/+/, "")}`;
}

const WRITE_OUT = "%{time_connect} %{time_pretransfer} %{time_total} %{size_download} %{size_upload}\\n";

interface CurlTimes {
  connect: number;
  pretransfer: number;
  total: number;
  down: number;
  up: number;
  /** CPU seconds of curl (from bash's `times`), when known. */
  cpu: number | undefined;
}

/**
 * Runs curl under bash so that bash's `times` reports curl's user+system CPU time; the figures
 * of `-w` give the phases (connect, pretransfer = logged in and the transfer command sent, total).
 */
async function curl(server: ServerInstance, args: readonly string[], timeoutMs: number): Promise<CurlTimes> {
  const script = '"$@"; rc=$?; times >&2; exit $rc';
  const r = await run(
    "/bin/bash",
    [
      "-c",
      script,
      "bench-curl",
      CURL,
      "-sS",
      "--max-time",
      String(Math.round(timeoutMs / 1000)),
      "--user",
      `${server.user}:${server.password}`,
      "-w",
      WRITE_OUT,
      ...args,
    ],
    { timeoutMs: timeoutMs + 5_000 },
  );
  const lines = r.stderr.trim().split("\n");
  if (r.code !== 0) {
    const msg = lines.slice(0, -2).join(" ").trim();
    throw new Error(`curl exited ${r.code}${msg ? `: ${msg.slice(0, 300)}` : ""}`);
  }
  const f = r.stdout.trim().split("\n").pop()!.split(" ").map(Number);
  // bash `times`: "0m0.001s 0m0.002s" (the shell) then the children's user and system time
  const child = lines.at(-1)?.match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/);
  const cpu = child ? Number(child[1]) * 60 + Number(child[2]) + Number(child[3]) * 60 + Number(child[4]) : undefined;
  return { connect: f[0]!, pretransfer: f[1]!, total: f[2]!, down: f[3]!, up: f[4]!, cpu };
}

function transferSample(t: CurlTimes, bytes: number): TransferSample {
  const seconds = t.total - t.pretransfer;
  return t.cpu === undefined ? { seconds, bytes } : { seconds, bytes, cpuSeconds: t.cpu };
}

export const curlClient: ClientRunner = {
  name: "curl",
  label: "curl (C)",
  ftpkit: false,
  async unavailable() {
    return existsSync(CURL) ? undefined : `${CURL} missing (apt curl; the bench runs test/interop/peers/install.sh)`;
  },
  async download(server, remote, sink: DownloadSink) {
    const out = sink.kind === "discard" ? "/dev/null" : sink.path;
    const t = await curl(server, ["-o", out, url(server, remote)], TRANSFER_TIMEOUT_MS);
    return transferSample(t, t.down);
  },
  async upload(server, local, remote) {
    const t = await curl(server, ["-T", local, url(server, remote)], TRANSFER_TIMEOUT_MS);
    return transferSample(t, t.up);
  },
  /** The server's cost of a listing: from the TCP connection to the end (login included, a few ms). */
  async rawList(server, remoteDir, command: ListCommand): Promise<TimedSample> {
    const extra = command === "NLST" ? ["--list-only"] : command === "MLSD" ? ["-X", "MLSD"] : [];
    const dirUrl = `${url(server, remoteDir).replace(/\/+$/, "")}/`;
    const t = await curl(server, [...extra, "-o", "/dev/null", dirUrl], OP_TIMEOUT_MS);
    return { seconds: t.total - t.connect, count: t.down };
  },
};

export const lftpClient: ClientRunner = {
  name: "lftp",
  label: "lftp (C++)",
  ftpkit: false,
  async unavailable() {
    return existsSync(LFTP) ? undefined : `${LFTP} missing (apt lftp; the bench runs test/interop/peers/install.sh)`;
  },
  /** `mirror -R --parallel=N`: wall clock of the lftp process (start and login included). */
  async uploadDir(server, localDir, remoteDir, parallel) {
    const q = (s: string) => `"${s.replace(/(["\\])/g, "\\$1")}"`;
    const script = [
      "set cmd:fail-exit yes",
      "set ftp:ssl-allow no",
      "set net:max-retries 2",
      "set net:timeout 60",
      "set net:reconnect-interval-base 1",
      `open -u ${q(server.user)},${q(server.password)} -p ${server.port} ${server.host}`,
      `mirror -R --parallel=${parallel} --no-perms --no-umask ${q(localDir)} ${q(remoteDir)}`,
    ].join("; ");
    const r = await runOk(LFTP, ["-c", script], { timeoutMs: OP_TIMEOUT_MS });
    return { seconds: r.seconds };
  },
};

export const ftplibClient: ClientRunner = {
  name: "ftplib",
  label: "Python ftplib",
  ftpkit: false,
  async unavailable() {
    return existsSync(PYTHON) ? undefined : `${PYTHON} missing (apt python3)`;
  },
  async smallUploads(server, count, size, remoteDir) {
    const r = await runOk(
      PYTHON,
      [
        FTPLIB_SCRIPT,
        "small-uploads",
        server.host,
        String(server.port),
        server.user,
        server.password,
        remoteDir,
        String(count),
        String(size),
      ],
      { timeoutMs: OP_TIMEOUT_MS },
    );
    const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { seconds?: number };
    if (typeof out.seconds !== "number") throw new Error(`ftplib script: ${r.stdout.slice(0, 200)}`);
    return { seconds: out.seconds, count };
  },
};
