/** Messages between the bench and a client worker (src/workers/client-worker.ts). */

export interface ServerAddress {
  host: string;
  port: number;
  user: string;
  password: string;
}

export type Sink = { kind: "discard" } | { kind: "file"; path: string };

export interface OpArgs {
  download: { server: ServerAddress; remote: string; sink: Sink };
  upload: { server: ServerAddress; local: string; remote: string };
  smallUploads: { server: ServerAddress; count: number; size: number; remoteDir: string };
  list: { server: ServerAddress; remoteDir: string };
  uploadDir: { server: ServerAddress; localDir: string; remoteDir: string; parallel: number };
  /** load driver: `count` sessions that log in, list `dir` and quit, at most `concurrency` at once. */
  sessions: { server: ServerAddress; count: number; concurrency: number; dir: string; idleTimeoutMs: number };
  /** load driver: opens `count` logged-in sessions and keeps them until `release`. */
  hold: { server: ServerAddress; count: number; concurrency: number; idleTimeoutMs: number };
  release: Record<string, never>;
  /** Whether the library can run here (exports present): resolves with a reason or null. */
  probe: Record<string, never>;
}

export type OpName = keyof OpArgs;

export interface OpResult {
  seconds?: number;
  bytes?: number;
  cpuSeconds?: number;
  count?: number;
  /** load driver: sessions that succeeded; list: distinct names. */
  ok?: number;
  failed?: number;
  error?: string;
  reason?: string | null;
}

export interface Request {
  id: number;
  op: OpName;
  args: unknown;
}

export type Response = { id: number; ok: true; result: OpResult } | { id: number; ok: false; error: string };

export type Lib = "ftpkit" | "basic-ftp" | "load";

export type Handlers = { [K in OpName]?: (args: OpArgs[K]) => Promise<OpResult> };
