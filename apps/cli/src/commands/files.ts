/** `ftpkit rm URL` (`-r`), `ftpkit mv URL NEWPATH` and `ftpkit mkdir URL` (`-p`). */
import { FtpError } from "@ftpkit/client";
import type { Command } from "commander";
import { addConnectionOptions, type ConnectionFlags, origin } from "../connect.js";
import { runContext } from "../context.js";
import { CliError, CliUsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { replyText } from "../failure.js";
import type { CliIo } from "../io.js";
import { isUrl, parseFtpUrl, remoteBasename, remoteDirname, remoteJoin } from "../url.js";
import { examples, findEntry, remote, remoteFailure, withClient } from "./common.js";

interface FileFlags extends ConnectionFlags {
  readonly recursive?: boolean;
  readonly parents?: boolean;
}

export function registerRm(program: Command, io: CliIo): void {
  addConnectionOptions(
    program
      .command("rm")
      .description("remove a remote file (with -r, a directory and everything in it)")
      .argument("<url>", "ftp://[user[:password]@]host[:port]/path")
      .option("-r, --recursive", "remove a directory and its contents"),
  )
    .addHelpText(
      "after",
      examples("ftpkit rm ftp://alice@example.com/old.zip", "ftpkit rm -r ftp://localhost:2121/build/"),
    )
    .action(async (urlText: string, flags: FileFlags, command: Command) => {
      const run = runContext(io, command);
      const url = parseFtpUrl(urlText);
      if (url.path === "." || url.path === "/")
        throw new CliUsageError(`refusing to remove ${url.display}: the login or root directory`);
      await withClient(run, url, flags, async (client) => {
        const signal = run.signal;
        if (flags.recursive === true) {
          const entry = await findEntry(client, url.path, signal);
          if (entry?.type === "directory") {
            await remote(run, client, url.display, url.path, () => client.rmdir(url.path, { recursive: true, signal }));
            return;
          }
        }
        try {
          await client.remove(url.path, { signal });
        } catch (error) {
          if (FtpError.isInstance(error) && error.code === 550 && flags.recursive !== true) {
            const entry = await findEntry(client, url.path, signal);
            if (entry?.type === "directory") throw new CliUsageError(`${url.display} is a directory (use rm -r)`);
          }
          throw await remoteFailure(run, client, error, url.display, url.path);
        }
      });
    });
}

export function registerMv(program: Command, io: CliIo): void {
  addConnectionOptions(
    program
      .command("mv")
      .description("rename or move a remote file or directory on the same server")
      .argument("<url>", "what to move: ftp://[user[:password]@]host[:port]/path")
      .argument(
        "<newpath>",
        "the new path: absolute (/dir/name), relative to the source's directory, or a URL on the same server; ending in / moves into that directory",
      ),
  )
    .addHelpText(
      "after",
      examples(
        "ftpkit mv ftp://alice@example.com/draft.txt final.txt",
        "ftpkit mv ftp://localhost:2121/a/report.pdf /archive/2024/",
      ),
    )
    .action(async (urlText: string, newPath: string, flags: ConnectionFlags, command: Command) => {
      const run = runContext(io, command);
      const url = parseFtpUrl(urlText);
      if (url.path === "." || url.path === "/")
        throw new CliUsageError(`cannot move ${url.display}: the login or root directory`);
      let target: string;
      let intoDirectory: boolean;
      if (isUrl(newPath)) {
        const to = parseFtpUrl(newPath);
        if (to.host.toLowerCase() !== url.host.toLowerCase() || to.port !== url.port) {
          throw new CliUsageError(`mv works on one server: ${origin(to)} is not ${origin(url)}`);
        }
        target = to.path;
        intoDirectory = to.directory;
      } else {
        if (newPath === "") throw new CliUsageError("the new path is empty");
        if (/[\r\n\0]/.test(newPath)) throw new CliUsageError("the new path holds CR, LF or NUL");
        intoDirectory = newPath.endsWith("/");
        const trimmed = newPath.length > 1 ? newPath.replace(/\/+$/, "") : newPath;
        target = trimmed.startsWith("/") ? trimmed : remoteJoin(remoteDirname(url.path), trimmed);
      }
      if (intoDirectory) target = remoteJoin(target, remoteBasename(url.path));
      await withClient(run, url, flags, (client) =>
        remote(run, client, url.display, url.path, () => client.rename(url.path, target, { signal: run.signal })),
      );
    });
}

export function registerMkdir(program: Command, io: CliIo): void {
  addConnectionOptions(
    program
      .command("mkdir")
      .description("create a remote directory")
      .argument("<url>", "ftp://[user[:password]@]host[:port]/path")
      .option("-p, --parents", "create missing parents too; no error if it exists"),
  )
    .addHelpText(
      "after",
      examples("ftpkit mkdir ftp://alice@example.com/incoming/2024", "ftpkit mkdir -p ftp://localhost:2121/a/b/c"),
    )
    .action(async (urlText: string, flags: FileFlags, command: Command) => {
      const run = runContext(io, command);
      const url = parseFtpUrl(urlText);
      if (url.path === "." || url.path === "/")
        throw new CliUsageError(`${url.display} names the login or root directory`);
      await withClient(run, url, flags, async (client) => {
        try {
          await client.mkdir(url.path, { recursive: flags.parents === true, signal: run.signal });
        } catch (error) {
          // A 550 to MKD: "exists" (exit 1), or the parent is missing (exit 5), or refused (exit 6).
          if (FtpError.isInstance(error) && error.code === 550 && !run.signal.aborted) {
            if ((await findEntry(client, url.path, run.signal)) !== undefined) {
              throw new CliError(EXIT.failure, `${url.display}: already exists (${replyText(error)})`, {
                cause: error,
              });
            }
            const parent = remoteDirname(url.path);
            if (parent !== "." && parent !== "/" && (await findEntry(client, parent, run.signal)) === undefined) {
              throw new CliError(EXIT.notFound, `${url.display}: parent directory ${parent} not found (use -p)`, {
                cause: error,
              });
            }
          }
          throw await remoteFailure(run, client, error, url.display);
        }
      });
    });
}
