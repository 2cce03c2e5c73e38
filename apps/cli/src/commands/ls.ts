/** `ftpkit ls URL` (`-l`, `--json`) and `ftpkit stat URL` (`--json`). */
import { type FileInfo, FtpError } from "@ftpkit/client";
import type { Command } from "commander";
import { addConnectionOptions, type ConnectionFlags } from "../connect.js";
import { runContext } from "../context.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { entryJson, formatDate, formatLong, sortByName } from "../format.js";
import type { CliIo } from "../io.js";
import { parseFtpUrl } from "../url.js";
import { examples, findEntry, remote, remoteFailure, withClient } from "./common.js";

interface LsFlags extends ConnectionFlags {
  readonly long?: boolean;
  readonly json?: boolean;
}

export function registerLs(program: Command, io: CliIo): void {
  addConnectionOptions(
    program
      .command("ls")
      .description("list a remote directory (or show one file)")
      .argument("<url>", "ftp://[user[:password]@]host[:port]/path or ftps://...")
      .option("-l, --long", "long format: type and permissions, size, date, name")
      .option("--json", "a JSON array of entries {name, type, size, modifiedAt, ...}"),
  )
    .addHelpText(
      "after",
      examples(
        "ftpkit ls ftp://ftp.example.com/pub/",
        "ftpkit ls -l ftp://alice@example.com/reports",
        "ftpkit ls --json ftp://localhost:2121/ | jq '.[].name'",
      ),
    )
    .action(async (urlText: string, flags: LsFlags, command: Command) => {
      const run = runContext(io, command);
      const url = parseFtpUrl(urlText);
      const entries = await withClient(run, url, flags, async (client) => {
        let listed: FileInfo[];
        try {
          listed = await client.list(url.path, { signal: run.signal });
        } catch (error) {
          // Not a directory: show the one entry, as ls(1) does for a file.
          const entry =
            !url.directory && FtpError.isInstance(error) && error.code >= 500
              ? await findEntry(client, url.path, run.signal)
              : undefined;
          if (entry === undefined || entry.type === "directory") {
            throw await remoteFailure(run, client, error, url.display, url.path);
          }
          return [entry];
        }
        // vsftpd and others answer LIST of a missing directory with an empty listing.
        if (listed.length === 0 && url.path !== "." && url.path !== "/") {
          const entry = await findEntry(client, url.path, run.signal);
          if (entry === undefined) throw new CliError(EXIT.notFound, `${url.display}: not found`);
          if (entry.type !== "directory") return [entry];
        }
        return listed;
      });
      const sorted = sortByName(entries);
      if (flags.json === true) io.out(JSON.stringify(sorted.map(entryJson), null, 2));
      else if (flags.long === true) for (const line of formatLong(sorted, run.outStyle)) io.out(line);
      else for (const e of sorted) io.out(e.name);
    });
}

export function registerStat(program: Command, io: CliIo): void {
  addConnectionOptions(
    program
      .command("stat")
      .description("show a remote file's or directory's type, size, time and permissions")
      .argument("<url>", "ftp://[user[:password]@]host[:port]/path")
      .option("--json", "a JSON object {url, path, name, type, size, modifiedAt, ...}"),
  )
    .addHelpText(
      "after",
      examples("ftpkit stat ftp://ftp.example.com/pub/README", "ftpkit stat --json ftp://localhost:2121/report.pdf"),
    )
    .action(async (urlText: string, flags: LsFlags, command: Command) => {
      const run = runContext(io, command);
      const url = parseFtpUrl(urlText);
      const entry = await withClient(run, url, flags, async (client) => {
        const found = await remote(run, client, url.display, url.path, () => findEntry(client, url.path, run.signal));
        if (found === undefined) throw new CliError(EXIT.notFound, `${url.display}: not found`);
        return found;
      });
      const info = { url: url.display, path: url.path, ...entryJson(entry) };
      if (flags.json === true) {
        io.out(JSON.stringify(info, null, 2));
        return;
      }
      const rows: [string, string][] = [
        ["url", url.display],
        ["type", entry.type],
      ];
      if (entry.size !== undefined) rows.push(["size", String(entry.size)]);
      if (entry.modifiedAt !== undefined || entry.rawModifiedAt !== undefined)
        rows.push(["modified", entry.modifiedAt?.toISOString() ?? formatDate(entry).trim()]);
      if (entry.permissions !== undefined) rows.push(["permissions", entry.permissions]);
      if (entry.owner !== undefined) rows.push(["owner", entry.owner]);
      if (entry.group !== undefined) rows.push(["group", entry.group]);
      if (entry.target !== undefined) rows.push(["target", entry.target]);
      for (const [key, value] of rows) io.out(`${`${key}:`.padEnd(13)}${value}`);
    });
}
