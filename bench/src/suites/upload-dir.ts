/** Parallel uploadDir of a tree of small files, with 1, 4 and 8 connections. */
import { readdirSync } from "node:fs";
import path from "node:path";
import type { Env } from "../env.js";
import type { RowDef } from "../measure/model.js";
import { bytesLabel, countLabel } from "../profile.js";
import { TIME } from "./metrics.js";

function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countFiles(path.join(dir, e.name));
    else if (e.isFile()) n++;
  }
  return n;
}

export function uploadDirRows(env: Env): RowDef[] {
  const p = env.profile;
  const rows: RowDef[] = [];
  for (const serverName of env.profile.clientRowServers) {
    const serverRunner = env.serverRunner(serverName);
    if (!serverRunner) continue;
    for (const pool of p.pools) {
      rows.push({
        id: `upload-dir.pool${pool}@${serverName}`,
        group: `uploadDir (server: ${serverName})`,
        title: `uploadDir of ${countLabel(p.uploadDirFiles)} × ${bytesLabel(p.uploadDirFileSize)} files in 10 dirs, ${pool} connection${pool > 1 ? "s" : ""}, to ${serverName}`,
        metrics: [TIME],
        plan: () =>
          env.clientPlan(
            serverRunner,
            (c) => !!c.uploadDir,
            (client, server) => {
              if (client.uploadDirParallel && !client.uploadDirParallel.includes(pool))
                return `${client.name} has no parallel uploadDir`;
              const tree = env.tree();
              return {
                run: async () => {
                  const target = env.uploadTarget(server, `tree-${client.name}-p${pool}`, "dir");
                  try {
                    const r = await client.uploadDir!(server, tree, target.remote, pool);
                    const got = countFiles(path.join(server.root, target.remote));
                    if (got !== p.uploadDirFiles) throw new Error(`${got} files arrived of ${p.uploadDirFiles}`);
                    return { values: { time: r.seconds } };
                  } finally {
                    await target.clean();
                  }
                },
              };
            },
          ),
      });
    }
  }
  return rows;
}
