/** Throughput rows: servers with curl as the client, and clients against vsftpd and the ftpkit server. */
import type { Env } from "../env.js";
import type { RowDef, Sample } from "../measure/model.js";
import { bytesLabel } from "../profile.js";
import { curlClient } from "../runners/clients/native-clients.js";
import type { ServerInstance, TransferSample } from "../runners/types.js";
import { CLIENT_CPU, GiB, RATE, SERVER_CPU } from "./metrics.js";

function checkBytes(t: TransferSample, expected: number, what: string): void {
  if (t.bytes !== expected) throw new Error(`${what}: moved ${t.bytes} bytes, expected ${expected}`);
}

async function serverSide(
  server: ServerInstance,
  transfer: () => Promise<TransferSample>,
  expected: number,
): Promise<Sample> {
  await server.settle();
  const cpu0 = server.cpuSeconds();
  const t = await transfer();
  await server.settle();
  const cpu = server.cpuSeconds() - cpu0;
  checkBytes(t, expected, "curl");
  return { values: { rate: t.bytes / t.seconds / 1e6, cpu: cpu / (t.bytes / GiB) } };
}

export function serverTransferRows(env: Env): RowDef[] {
  const size = env.profile.bigFileBytes;
  const label = bytesLabel(size);
  return [
    {
      id: "server.download",
      group: "Server throughput (curl client)",
      title: `server download ${label} to curl (-o /dev/null)`,
      metrics: [RATE, SERVER_CPU],
      targets: [
        { metric: "rate", versus: "vsftpd", op: ">=", value: 0.8, text: "≥ 0.8× vsftpd" },
        { metric: "rate", versus: "ftp-srv", op: ">=", value: 3, text: "≥ 3× ftp-srv" },
        { metric: "cpu", op: "<=", value: 0.75, text: "≤ 1.5 CPU s per 2 GiB" },
      ],
      plan: () =>
        env.serverPlan(async (server) => {
          const remote = await env.serveBigFile(server);
          return {
            run: () => serverSide(server, () => curlClient.download!(server, remote, { kind: "discard" }), size),
          };
        }),
    },
    {
      id: "server.upload",
      group: "Server throughput (curl client)",
      title: `server upload ${label} from curl -T`,
      metrics: [RATE, SERVER_CPU],
      targets: [
        { metric: "rate", versus: "vsftpd", op: ">=", value: 1.0, text: "≥ 1.0× vsftpd" },
        { metric: "rate", versus: "ftp-srv", op: ">=", value: 3, text: "≥ 3× ftp-srv" },
      ],
      plan: () =>
        env.serverPlan(async (server) => {
          const local = await env.bigFile();
          return {
            run: async () => {
              const target = env.uploadTarget(server, "curl", "file");
              try {
                return await serverSide(server, () => curlClient.upload!(server, local, target.remote), size);
              } finally {
                await target.clean();
              }
            },
          };
        }),
    },
  ];
}

export function clientTransferRows(env: Env): RowDef[] {
  const size = env.profile.bigFileBytes;
  const label = bytesLabel(size);
  const rows: RowDef[] = [];
  for (const serverName of env.profile.clientRowServers) {
    const serverRunner = env.serverRunner(serverName);
    if (!serverRunner) continue;
    const group = `Client throughput (server: ${serverName === "ftpkit" ? "ftpkit" : serverName})`;
    const cpuNote = (t: TransferSample): Record<string, number> =>
      t.cpuSeconds === undefined ? {} : { cpu: t.cpuSeconds / (t.bytes / GiB) };
    rows.push(
      {
        id: `client.download.discard@${serverName}`,
        group,
        title: `client download ${label} from ${serverName} to a discarding sink`,
        metrics: [RATE, CLIENT_CPU],
        targets: [
          { metric: "rate", versus: "curl", op: ">=", value: 0.8, text: "≥ 0.8× curl" },
          { metric: "rate", versus: "basic-ftp", op: ">=", value: 2, text: "≥ 2× basic-ftp" },
        ],
        plan: () =>
          env.clientPlan(
            serverRunner,
            (c) => !!c.download,
            (client, server) => ({
              run: async () => {
                const remote = await env.serveBigFile(server);
                const t = await client.download!(server, remote, { kind: "discard" });
                checkBytes(t, size, client.name);
                return { values: { rate: t.bytes / t.seconds / 1e6, ...cpuNote(t) } };
              },
            }),
          ),
      },
      {
        id: `client.download.file@${serverName}`,
        group,
        title: `client download ${label} from ${serverName} to a file`,
        metrics: [RATE, CLIENT_CPU],
        targets: [{ metric: "rate", versus: "curl", op: ">=", value: 0.9, text: "≥ 0.9× curl" }],
        plan: () =>
          env.clientPlan(
            serverRunner,
            (c) => !!c.download,
            (client, server) => ({
              run: async () => {
                const remote = await env.serveBigFile(server);
                const out = env.localOut(client.name);
                try {
                  const t = await client.download!(server, remote, { kind: "file", path: out.path });
                  checkBytes(t, size, client.name);
                  return { values: { rate: t.bytes / t.seconds / 1e6, ...cpuNote(t) } };
                } finally {
                  await out.clean();
                }
              },
            }),
          ),
      },
      {
        id: `client.upload.file@${serverName}`,
        group,
        title: `client upload ${label} from a file to ${serverName}`,
        metrics: [RATE, CLIENT_CPU],
        targets: [{ metric: "rate", versus: "curl", op: ">=", value: 0.9, text: "≥ 0.9× curl" }],
        plan: () =>
          env.clientPlan(
            serverRunner,
            (c) => !!c.upload,
            (client, server) => ({
              run: async () => {
                const local = await env.bigFile();
                const target = env.uploadTarget(server, client.name, "file");
                try {
                  const t = await client.upload!(server, local, target.remote);
                  checkBytes(t, size, client.name);
                  return { values: { rate: t.bytes / t.seconds / 1e6, ...cpuNote(t) } };
                } finally {
                  await target.clean();
                }
              },
            }),
          ),
      },
    );
  }
  return rows;
}
