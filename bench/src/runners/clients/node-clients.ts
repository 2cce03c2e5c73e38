/** The Node client subjects (ftpkit client, basic-ftp), each run in a worker process. */
import { packageVersion } from "../../util/misc.js";
import type { ServerAddress } from "../../workers/protocol.js";
import type { ClientRunner, ServerInstance, TimedSample, TransferSample } from "../types.js";
import { NodeWorker } from "./node-worker.js";

/** Generous: a 2 GiB transfer at 100 MB/s takes 21 s. */
const TRANSFER_TIMEOUT_MS = 600_000;
const OP_TIMEOUT_MS = 300_000;

export function address(s: ServerInstance): ServerAddress {
  return { host: s.host, port: s.port, user: s.user, password: s.password };
}

function transfer(r: { seconds?: number; bytes?: number; cpuSeconds?: number }): TransferSample {
  if (r.seconds === undefined || r.bytes === undefined) throw new Error("worker returned no timing");
  return r.cpuSeconds === undefined
    ? { seconds: r.seconds, bytes: r.bytes }
    : { seconds: r.seconds, bytes: r.bytes, cpuSeconds: r.cpuSeconds };
}

function timed(r: { seconds?: number; count?: number }): TimedSample {
  if (r.seconds === undefined) throw new Error("worker returned no timing");
  return r.count === undefined ? { seconds: r.seconds } : { seconds: r.seconds, count: r.count };
}

function listed(r: { seconds?: number; count?: number; ok?: number }): TimedSample {
  const t = timed(r);
  if (r.ok !== undefined) t.distinct = r.ok;
  return t;
}

function nodeClient(
  name: string,
  label: string,
  ftpkit: boolean,
  lib: "ftpkit" | "basic-ftp",
  extra: Partial<ClientRunner> = {},
): ClientRunner {
  const worker = new NodeWorker(lib);
  return {
    name,
    label,
    ftpkit,
    async unavailable() {
      try {
        const r = await worker.call("probe", {}, 60_000);
        return r.reason ?? undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
    download: async (server, remote, sink) =>
      transfer(await worker.call("download", { server: address(server), remote, sink }, TRANSFER_TIMEOUT_MS)),
    upload: async (server, local, remote) =>
      transfer(await worker.call("upload", { server: address(server), local, remote }, TRANSFER_TIMEOUT_MS)),
    smallUploads: async (server, count, size, remoteDir) =>
      timed(await worker.call("smallUploads", { server: address(server), count, size, remoteDir }, OP_TIMEOUT_MS)),
    list: async (server, remoteDir) =>
      listed(await worker.call("list", { server: address(server), remoteDir }, OP_TIMEOUT_MS)),
    uploadDir: async (server, localDir, remoteDir, parallel) =>
      timed(await worker.call("uploadDir", { server: address(server), localDir, remoteDir, parallel }, OP_TIMEOUT_MS)),
    close: () => worker.close(),
    ...extra,
  };
}

export const ftpkitClient = nodeClient("ftpkit", "ftpkit client (Node)", true, "ftpkit");
export const basicFtp = nodeClient(
  "basic-ftp",
  `basic-ftp ${packageVersion("basic-ftp") ?? "?"} (Node)`,
  false,
  "basic-ftp",
  {
    uploadDirParallel: [1],
  },
);

/** The raw session driver for the sessions and memory rows. */
export const loadDriver = new NodeWorker("load");
