/**
 * `ftpkit get URL [LOCAL]`, `ftpkit put LOCAL URL` and `ftpkit cat URL` (the transfer steps
 * themselves are in transfer-core.ts, shared with the shell).
 */
import { basename, join, resolve } from "node:path";
import { Writable } from "node:stream";
import type { Client } from "@ftpkit/client";
import { type Command, Option } from "commander";
import { addConnectionOptions, type ConnectionFlags } from "../connect.js";
import { type RunContext, runContext } from "../context.js";
import { CliUsageError } from "../errors.js";
import { transferSummary } from "../format.js";
import type { CliIo } from "../io.js";
import { type FtpUrl, parseFtpUrl, remoteBasename, remoteDirname, remoteJoin } from "../url.js";
import { examples, remote, withClient } from "./common.js";
import { downloadToFile, localInfo, uploadFile } from "./transfer-core.js";

interface TransferFlags extends ConnectionFlags {
  readonly continue?: boolean;
  readonly json?: boolean;
  readonly ascii?: boolean;
  readonly mkdirs?: boolean;
}

const asciiOption = () => new Option("--ascii", "transfer in ASCII mode (TYPE A: line ends converted)");

/** The summary: a JSON object on stdout with `--json`, else one line on stderr (not with `-q`). */
function summarize(run: RunContext, json: boolean, summary: Record<string, unknown>, human: string): void {
  if (json) run.io.out(JSON.stringify(summary));
  else run.note(human);
}

export function registerGet(program: Command, io: CliIo): void {
  addConnectionOptions(
    program
      .command("get")
      .description("download a remote file (to LOCAL.part first, renamed when complete)")
      .argument("<url>", "the remote file: ftp://[user[:password]@]host[:port]/path")
      .argument("[local]", "local file or directory (default: the remote name, here); - for standard output")
      .option("-c, --continue", "resume a partial download (LOCAL.part, or LOCAL) with REST")
      .option("--json", "print a JSON summary {remote, local, bytes, offset, size, seconds}")
      .addOption(asciiOption()),
  )
    .addHelpText(
      "after",
      examples(
        "ftpkit get ftp://ftp.example.com/pub/file.iso",
        "ftpkit get -c ftp://alice@example.com/big.bin ./downloads/",
      ),
    )
    .action(async (urlText: string, localArg: string | undefined, flags: TransferFlags, command: Command) => {
      const run = runContext(io, command);
      const url = parseFtpUrl(urlText);
      const name = remoteBasename(url.path);
      if (url.directory || name === "") {
        throw new CliUsageError(`${url.display} is a directory: use ftpkit mirror URL LOCALDIR`);
      }
      if (localArg === "-") {
        await catTo(run, url, flags);
        return;
      }
      let local = resolve(localArg ?? name);
      const existing = await localInfo(local);
      if (existing?.isDirectory() === true || localArg?.endsWith("/") === true) local = join(local, name);
      const parent = await localInfo(resolve(local, ".."));
      if (parent?.isDirectory() !== true) throw new CliUsageError(`local directory not found: ${resolve(local, "..")}`);
      if ((await localInfo(local))?.isDirectory() === true) throw new CliUsageError(`${local} is a directory`);
      if (flags.continue === true && flags.ascii === true)
        throw new CliUsageError("-c cannot resume an ASCII-mode transfer");
      const result = await withClient(run, url, flags, (client) =>
        downloadToFile(run, client, url.path, local, {
          resume: flags.continue === true,
          type: flags.ascii === true ? "ascii" : "binary",
          label: name,
          what: url.display,
        }),
      );
      summarize(
        run,
        flags.json === true,
        {
          remote: url.display,
          local,
          bytes: result.bytes,
          offset: result.offset,
          size: result.offset + result.bytes,
          seconds: result.seconds,
        },
        transferSummary("downloaded", local, result.bytes, result.seconds),
      );
    });
}

/** Streams a remote file to standard output (`cat`, `get URL -`). */
async function catTo(run: RunContext, url: FtpUrl, flags: TransferFlags): Promise<void> {
  const stdout = run.io.stdout;
  let sink: Writable;
  const pending: Buffer[] = [];
  let closedByReader = false;
  const controller = new AbortController();
  const signal = AbortSignal.any([run.signal, controller.signal]);
  if (stdout === undefined) {
    // In-process use (tests): the contents go through io.out at the end.
    sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        pending.push(Buffer.from(chunk));
        callback();
      },
    });
  } else {
    sink = stdout;
  }
  const onError = (error: NodeJS.ErrnoException) => {
    // The reader went away (`ftpkit cat URL | head`): stop quietly, as cat(1) does.
    if (error.code === "EPIPE") closedByReader = true;
    controller.abort(error);
  };
  sink.on("error", onError);
  try {
    await withClient(run, url, flags, (client) =>
      remote(
        run,
        client,
        url.display,
        url.path,
        () => client.download(url.path, sink, { end: false, signal, type: flags.ascii === true ? "ascii" : "binary" }),
        { file: true },
      ).catch((error: unknown) => {
        if (closedByReader) return { bytes: 0 };
        throw error;
      }),
    );
  } finally {
    sink.off("error", onError);
  }
  if (pending.length > 0) {
    const text = Buffer.concat(pending).toString("utf8");
    for (const line of text.replace(/\n$/, "").split("\n")) run.io.out(line);
  }
}

export function registerCat(program: Command, io: CliIo): void {
  addConnectionOptions(
    program
      .command("cat")
      .description("write a remote file to standard output")
      .argument("<url>", "the remote file: ftp://[user[:password]@]host[:port]/path")
      .addOption(asciiOption()),
  )
    .addHelpText(
      "after",
      examples("ftpkit cat ftp://ftp.example.com/pub/README", "ftpkit cat ftp://localhost:2121/data.csv | head"),
    )
    .action(async (urlText: string, flags: TransferFlags, command: Command) => {
      const run = runContext(io, command);
      const url = parseFtpUrl(urlText);
      if (url.directory) throw new CliUsageError(`${url.display} is a directory: use ftpkit ls`);
      await catTo(run, url, flags);
    });
}

/** Creates the remote parent directory of `path` when asked (`--mkdirs`). */
async function ensureRemoteParent(run: RunContext, client: Client, path: string, display: string): Promise<void> {
  const parent = remoteDirname(path);
  if (parent === "." || parent === "/") return;
  await remote(run, client, `${display}: creating ${parent}`, undefined, () =>
    client.mkdir(parent, { recursive: true, signal: run.signal }),
  );
}

export function registerPut(program: Command, io: CliIo): void {
  addConnectionOptions(
    program
      .command("put")
      .description("upload a local file (a URL ending in / names a directory to upload into)")
      .argument("<local>", "the local file; - for standard input")
      .argument("<url>", "the remote file or directory/: ftp://[user[:password]@]host[:port]/path")
      .option("-c, --continue", "resume a partial upload from the remote file's size")
      .option("--mkdirs", "create missing remote directories")
      .option("--json", "print a JSON summary {local, remote, bytes, offset, size, seconds}")
      .addOption(asciiOption()),
  )
    .addHelpText(
      "after",
      examples(
        "ftpkit put report.pdf ftp://alice@example.com/incoming/",
        "ftpkit put -c --mkdirs big.iso ftp://localhost:2121/isos/big.iso",
      ),
    )
    .action(async (localArg: string, urlText: string, flags: TransferFlags, command: Command) => {
      const run = runContext(io, command);
      const url = parseFtpUrl(urlText);
      const fromStdin = localArg === "-";
      const local = fromStdin ? "-" : resolve(localArg);
      let localSize: number | undefined;
      if (!fromStdin) {
        const info = await localInfo(local);
        if (info === undefined) throw new CliUsageError(`local file not found: ${local}`);
        if (!info.isFile()) throw new CliUsageError(`not a regular file: ${local}`);
        localSize = info.size;
      } else if (run.io.stdin === undefined) {
        throw new CliUsageError("no standard input to upload");
      }
      if (url.directory && fromStdin) throw new CliUsageError("put - needs a file name in the URL, not a directory");
      if (flags.continue === true && (fromStdin || flags.ascii === true)) {
        throw new CliUsageError("-c resumes binary uploads of a local file only");
      }
      const target = url.directory ? remoteJoin(url.path, basename(local)) : url.path;
      const display = url.directory ? `${url.display.replace(/\/?$/, "/")}${basename(local)}` : url.display;
      const result = await withClient(run, url, flags, async (client) => {
        if (flags.mkdirs === true) await ensureRemoteParent(run, client, target, url.display);
        const source = fromStdin ? (run.io.stdin as NonNullable<CliIo["stdin"]>) : local;
        return uploadFile(run, client, source, localSize, target, {
          resume: flags.continue === true,
          type: flags.ascii === true ? "ascii" : "binary",
          label: fromStdin ? remoteBasename(target) : basename(local),
          what: display,
        });
      });
      summarize(
        run,
        flags.json === true,
        {
          local,
          remote: display,
          bytes: result.bytes,
          offset: result.offset,
          size: result.offset + result.bytes,
          seconds: result.seconds,
        },
        transferSummary("uploaded", display, result.bytes, result.seconds),
      );
    });
}
