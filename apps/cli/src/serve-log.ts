/**
 * The `ftpkit serve` session log: one line per server event (connect, login, failed login,
 * upload, download, delete, rename, mkdir, rmdir, disconnect, refused, ban, unban, errors), from the events
 * FtpServer emits after each action completed. The events carry no passwords, so none can
 * reach the log.
 */
import type { FtpServer } from "@ftpkit/server";
import { formatBytes } from "./format.js";

function time(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

function took(bytes: number, ms: number): string {
  return `${formatBytes(bytes)} in ${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/**
 * Logs `server`'s events as lines to `log`.
 * @returns a function that stops logging.
 */
export function attachSessionLog(server: FtpServer, log: (line: string) => void): () => void {
  const peers = new Map<number, string>();
  const line = (id: number, text: string) => log(`${time()} #${id} ${peers.get(id) ?? "?"} ${text}`);
  const handlers = {
    connect: (e: { connectionId: number; remoteAddress: string; remotePort: number }) => {
      peers.set(e.connectionId, e.remoteAddress);
      line(e.connectionId, `connect (port ${e.remotePort})`);
    },
    login: (e: { connectionId: number; user: string }) => line(e.connectionId, `login ${e.user}`),
    "login-failed": (e: { connectionId: number; user: string; attempts: number }) =>
      line(e.connectionId, `login failed for ${e.user} (attempt ${e.attempts})`),
    upload: (e: {
      connectionId: number;
      user: string;
      path: string;
      bytes: number;
      offset: number;
      durationMs: number;
      kind: string;
    }) =>
      line(
        e.connectionId,
        `${e.kind === "appe" ? "append" : "upload"} ${e.path} (${took(e.bytes, e.durationMs)}${e.offset > 0 ? `, from byte ${e.offset}` : ""})`,
      ),
    download: (e: { connectionId: number; path: string; bytes: number; offset: number; durationMs: number }) =>
      line(
        e.connectionId,
        `download ${e.path} (${took(e.bytes, e.durationMs)}${e.offset > 0 ? `, from byte ${e.offset}` : ""})`,
      ),
    delete: (e: { connectionId: number; path: string }) => line(e.connectionId, `delete ${e.path}`),
    rename: (e: { connectionId: number; from: string; to: string }) =>
      line(e.connectionId, `rename ${e.from} -> ${e.to}`),
    mkdir: (e: { connectionId: number; path: string }) => line(e.connectionId, `mkdir ${e.path}`),
    rmdir: (e: { connectionId: number; path: string }) => line(e.connectionId, `rmdir ${e.path}`),
    disconnect: (e: { connectionId: number; reason: string }) => {
      line(e.connectionId, `disconnect (${e.reason})`);
      peers.delete(e.connectionId);
    },
    // The defender's decisions (with --accounts-db they may come from a ban made on another node).
    refused: (e: { remoteAddress: string; reason: string }) =>
      log(`${time()} refused ${e.remoteAddress} (${e.reason})`),
    ban: (e: { address: string; until: Date; count: number }) =>
      log(`${time()} ban ${e.address} until ${e.until.toISOString()} (ban ${e.count})`),
    unban: (e: { address: string; reason: string }) => log(`${time()} unban ${e.address} (${e.reason})`),
    error: (e: Error) => log(`${time()} error: ${e.message}${causeOf(e)}`),
  };
  for (const [event, handler] of Object.entries(handlers)) server.on(event as "connect", handler as () => void);
  return () => {
    for (const [event, handler] of Object.entries(handlers)) server.off(event as "connect", handler as () => void);
  };
}

/** An error's cause, briefly: "the defender's store failed" says little without it. */
function causeOf(error: Error): string {
  const cause = error.cause;
  return cause instanceof Error && cause.message !== "" ? `: ${cause.message}` : "";
}
