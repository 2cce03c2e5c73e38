/** Many small uploads over one session: servers (ftplib as the client) and clients. */
import type { Env } from "../env.js";
import type { RowDef } from "../measure/model.js";
import { bytesLabel, countLabel } from "../profile.js";
import { ftplibClient } from "../runners/clients/native-clients.js";
import type { ClientRunner, ServerInstance } from "../runners/types.js";
import { TIME } from "./metrics.js";

async function smallUploads(env: Env, client: ClientRunner, server: ServerInstance, count: number) {
  const target = env.uploadDirCreated(server, `small-${client.name}`);
  try {
    const r = await client.smallUploads!(server, count, env.profile.smallUploadSize, target.remote);
    return { values: { time: r.seconds } };
  } finally {
    await target.clean();
  }
}

export function smallUploadRows(env: Env): RowDef[] {
  const p = env.profile;
  const what = `${countLabel(p.smallUploadCount)} × ${bytesLabel(p.smallUploadSize)} uploads over one session`;
  const warm = Math.min(p.smallUploadCount, 20);
  const rows: RowDef[] = [
    {
      id: "small-uploads.server",
      group: "Small uploads",
      title: `${what}, ftplib client`,
      metrics: [TIME],
      targets: [{ metric: "time", versus: "vsftpd", op: "<=", value: 1.0, text: "≤ 1.0× vsftpd" }],
      plan: () =>
        env.serverPlan((server) => ({
          run: () => smallUploads(env, ftplibClient, server, p.smallUploadCount),
          warmup: async () => {
            await smallUploads(env, ftplibClient, server, warm);
          },
        })),
    },
  ];
  for (const serverName of env.profile.clientRowServers) {
    const serverRunner = env.serverRunner(serverName);
    if (!serverRunner) continue;
    rows.push({
      id: `small-uploads.client@${serverName}`,
      group: "Small uploads",
      title: `${what}, clients, to ${serverName}`,
      metrics: [TIME],
      targets: [
        { metric: "time", versus: "ftplib", op: "<=", value: 1.0, text: "≤ 1.0× ftplib" },
        { metric: "time", versus: "basic-ftp", op: "<=", value: 1 / 3, text: "≥ 3× basic-ftp's rate" },
      ],
      plan: () =>
        env.clientPlan(
          serverRunner,
          (c) => !!c.smallUploads,
          (client, server) => ({
            run: () => smallUploads(env, client, server, p.smallUploadCount),
            warmup: async () => {
              await smallUploads(env, client, server, warm);
            },
          }),
        ),
    });
  }
  return rows;
}
