/**
 * `ftpkit mirror URL LOCALDIR` (download) and `ftpkit mirror -R LOCALDIR URL` (upload): makes
 * the target tree like the source, transferring only what changed (size and time, see
 * @ftpkit/client's mirror), with `--delete`, `--dry-run` and `--parallel N` connections.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { MirrorAction } from "@ftpkit/client";
import { type Command, InvalidArgumentError } from "commander";
import { addConnectionOptions, type ConnectionFlags } from "../connect.js";
import { runContext } from "../context.js";
import { CliError, CliUsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { formatBytes } from "../format.js";
import type { CliIo } from "../io.js";
import { parseFtpUrl } from "../url.js";
import { examples, findEntry, remote, withClient } from "./common.js";

interface MirrorFlags extends ConnectionFlags {
  readonly reverse?: boolean;
  readonly delete?: boolean;
  readonly dryRun?: boolean;
  readonly parallel: number;
  readonly json?: boolean;
}

function parseParallel(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new InvalidArgumentError("a number of connections, 1..32");
  return n;
}

/** `get a/b.txt`, `mkdir a`, `delete old.txt` (`would ...` in a dry run). */
export function describeAction(action: MirrorAction, upload: boolean, dryRun: boolean): string {
  const verb = action.action === "transfer" ? (upload ? "put" : "get") : action.action === "mkdir" ? "mkdir" : "delete";
  const suffix = action.type === "directory" && action.action !== "mkdir" ? "/" : "";
  return `${dryRun ? "would " : ""}${verb} ${action.path}${suffix}`;
}

export function registerMirror(program: Command, io: CliIo): void {
  addConnectionOptions(
    program
      .command("mirror")
      .description("make LOCALDIR like a remote tree (or, with -R, a remote tree like LOCALDIR)")
      .argument("<source>", "the remote directory URL (with -R: the local directory)")
      .argument("<target>", "the local directory (with -R: the remote directory URL)")
      .option("-R, --reverse", "upload: mirror LOCALDIR to URL")
      .option("--delete", "delete what the source does not have")
      .option("-n, --dry-run", "only print what would be done")
      .option("--parallel <n>", "transfer this many files at once (over as many connections)", parseParallel, 1)
      .option("--json", "print a JSON summary {direction, dryRun, actions, bytes, skipped}"),
  )
    .addHelpText(
      "after",
      examples(
        "ftpkit mirror ftp://ftp.example.com/pub/site ./site",
        "ftpkit mirror -R --delete --parallel 4 ./public ftp://alice@example.com/www/",
        "ftpkit mirror --dry-run ftp://localhost:2121/ ./backup",
      ),
    )
    .action(async (source: string, target: string, flags: MirrorFlags, command: Command) => {
      const run = runContext(io, command);
      const upload = flags.reverse === true;
      const url = parseFtpUrl(upload ? target : source);
      const localDir = resolve(upload ? source : target);
      const localInfo = await stat(localDir).catch(() => undefined);
      if (upload && localInfo?.isDirectory() !== true)
        throw new CliUsageError(`local directory not found: ${localDir}`);
      if (!upload && localInfo !== undefined && !localInfo.isDirectory()) {
        throw new CliUsageError(`not a directory: ${localDir}`);
      }
      const dryRun = flags.dryRun === true;
      const result = await withClient(run, url, flags, async (client) => {
        if (!upload && url.path !== "." && url.path !== "/") {
          const entry = await findEntry(client, url.path, run.signal);
          if (entry === undefined) throw new CliError(EXIT.notFound, `${url.display}: not found`);
          if (entry.type !== "directory") throw new CliUsageError(`${url.display} is not a directory: use ftpkit get`);
        }
        return remote(run, client, url.display, undefined, () =>
          client.mirror(url.path, localDir, {
            direction: upload ? "upload" : "download",
            delete: flags.delete === true,
            dryRun,
            parallel: flags.parallel,
            signal: run.signal,
          }),
        );
      });
      if (flags.json === true) {
        io.out(
          JSON.stringify(
            {
              direction: upload ? "upload" : "download",
              source: upload ? localDir : url.display,
              target: upload ? url.display : localDir,
              dryRun,
              actions: result.actions,
              bytes: result.bytes,
              skipped: result.skipped,
            },
            null,
            2,
          ),
        );
        return;
      }
      for (const action of result.actions) io.out(describeAction(action, upload, dryRun));
      const count = (kind: MirrorAction["action"]) => result.actions.filter((a) => a.action === kind).length;
      const files = count("transfer");
      run.note(
        `${dryRun ? "dry run: would transfer" : "mirrored:"} ${files} file${files === 1 ? "" : "s"}${dryRun ? "" : ` (${formatBytes(result.bytes)})`}, ${count("mkdir")} new director${count("mkdir") === 1 ? "y" : "ies"}, ${count("delete")} deleted${result.skipped.length > 0 ? `, ${result.skipped.length} skipped` : ""}`,
      );
    });
}
