/** Listing rows: LIST, NLST and MLSD of a big directory (curl, output discarded), and clients' parsed list(). */
import type { Env } from "../env.js";
import type { RowDef, Sample } from "../measure/model.js";
import { countLabel } from "../profile.js";
import { curlClient } from "../runners/clients/native-clients.js";
import type { ListCommand } from "../runners/types.js";
import { TIME } from "./metrics.js";

export function listingRows(env: Env): RowDef[] {
  const n = env.profile.bigDirEntries;
  const rows: RowDef[] = [];
  const targets: Partial<Record<ListCommand, RowDef["targets"]>> = {
    LIST: [{ metric: "time", versus: "vsftpd", op: "<=", value: 1.0, text: "≤ 1.0× vsftpd" }],
    MLSD: [{ metric: "time", versus: "pyftpdlib", op: "<=", value: 0.7, text: "≤ 0.7× pyftpdlib" }],
  };
  for (const command of ["LIST", "NLST", "MLSD"] as const) {
    rows.push({
      id: `listing.${command}`,
      group: `Listings of a ${countLabel(n)}-entry directory`,
      title: `${command} of a ${countLabel(n)}-entry directory (curl, output discarded)`,
      metrics: [TIME],
      targets: targets[command] ?? [],
      plan: () =>
        env.serverPlan((server) => {
          if (command === "MLSD" && !server.mlsd) return "no MLSD";
          const dir = env.serveBigDir(server);
          return {
            run: async (): Promise<Sample> => {
              const r = await curlClient.rawList!(server, dir, command);
              if (!r.count) throw new Error(`${command} returned nothing`);
              return { values: { time: r.seconds } };
            },
          };
        }),
    });
  }
  for (const serverName of env.profile.clientRowServers) {
    const serverRunner = env.serverRunner(serverName);
    if (!serverRunner) continue;
    rows.push({
      id: `listing.client@${serverName}`,
      group: `Listings of a ${countLabel(n)}-entry directory`,
      title: `client list() of a ${countLabel(n)}-entry directory, parsed, from ${serverName}`,
      metrics: [TIME],
      targets: [{ metric: "time", versus: "basic-ftp", op: "<=", value: 0.5, text: "≤ 0.5× basic-ftp" }],
      plan: () =>
        env.clientPlan(
          serverRunner,
          (c) => !!c.list,
          (client, server) => {
            const dir = env.serveBigDir(server);
            return {
              run: async (): Promise<Sample> => {
                const r = await client.list!(server, dir);
                // the time of a wrong listing means nothing: the cell becomes an error with the reason
                if (r.count !== n || (r.distinct !== undefined && r.distinct !== n))
                  throw new Error(`wrong listing: ${r.count} entries (${r.distinct ?? "?"} distinct names) of ${n}`);
                return { values: { time: r.seconds } };
              },
            };
          },
        ),
    });
  }
  return rows;
}
