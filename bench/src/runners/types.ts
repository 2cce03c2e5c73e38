/**
 * Subjects are pluggable runners. A server runner starts one server on 127.0.0.1 (port 0) and
 * says how to read its CPU time and memory; a client runner implements the operations it can
 * do (an operation left out is shown as "n/a" in that row). The ftpkit runners report
 * themselves unavailable ("waiting") until @ftpkit/server exports FtpServer and
 * @ftpkit/client exports Client in their built dist.
 */

export interface ServerInstance {
  /** Runner name (ftpkit, vsftpd, ...). */
  readonly name: string;
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Host directory that is the FTP "/" (files put there are served). */
  readonly root: string;
  /** Owner to give files and directories the server must write into. */
  readonly owner: { uid: number; gid: number };
  /** Whether MLSD is answered. */
  readonly mlsd: boolean;
  /** What ran, for the report (version, configuration). */
  readonly description: string;
  /** CPU seconds used by the server's processes so far. */
  cpuSeconds(): number;
  /** Memory of the server's processes now, in bytes (PSS summed over its processes). */
  memoryBytes(): number;
  /** Waits until session processes of finished sessions are gone (forking servers). */
  settle(): Promise<void>;
  /** Node servers: a full garbage collection, so that a memory reading holds live data only. */
  collectGarbage?(): Promise<void>;
  stop(): Promise<void>;
}

export interface ServerStartContext {
  /** Parent dir for the server's own temp dir (on tmpfs when there is room). */
  workDir: string;
  /** Sessions it must accept at once (memory row, burst row). */
  maxConnections: number;
  /** Passive ports it must be able to have open at once. */
  passivePorts: number;
}

export interface ServerRunner {
  readonly name: string;
  /** "ftpkit server", "vsftpd 3.0.3 (C)"... */
  readonly label: string;
  readonly ftpkit: boolean;
  /** Why it cannot run here (undefined: it can). */
  unavailable(): Promise<string | undefined>;
  start(ctx: ServerStartContext): Promise<ServerInstance>;
}

/** Where a client is to put a download. */
export type DownloadSink = { kind: "discard" } | { kind: "file"; path: string };

export interface TransferSample {
  seconds: number;
  bytes: number;
  /** CPU seconds the client used during the transfer, when known. */
  cpuSeconds?: number;
}

export interface TimedSample {
  seconds: number;
  /** Entries listed, files uploaded... for a sanity note. */
  count?: number;
  /** Distinct names listed (list()). */
  distinct?: number;
}

export type ListCommand = "LIST" | "NLST" | "MLSD";

export interface ClientRunner {
  readonly name: string;
  readonly label: string;
  readonly ftpkit: boolean;
  unavailable(): Promise<string | undefined>;
  /** Downloads `remote` (connect and login not timed where the client allows it). */
  download?(server: ServerInstance, remote: string, sink: DownloadSink): Promise<TransferSample>;
  /** Uploads local file `local` to `remote`. */
  upload?(server: ServerInstance, local: string, remote: string): Promise<TransferSample>;
  /** `count` uploads of `size` bytes into `remoteDir` over one session (after login). */
  smallUploads?(server: ServerInstance, count: number, size: number, remoteDir: string): Promise<TimedSample>;
  /** The client's parsed listing of `remoteDir` (after login). */
  list?(server: ServerInstance, remoteDir: string): Promise<TimedSample>;
  /** A raw listing command, output discarded: the server's cost. */
  rawList?(server: ServerInstance, remoteDir: string, command: ListCommand): Promise<TimedSample>;
  /** Uploads the tree `localDir` into `remoteDir` over `parallel` connections (connects included). */
  uploadDir?(server: ServerInstance, localDir: string, remoteDir: string, parallel: number): Promise<TimedSample>;
  /** Which `parallel` values uploadDir supports (default: any). */
  readonly uploadDirParallel?: readonly number[];
  /** Stops helper processes. */
  close?(): Promise<void>;
}
