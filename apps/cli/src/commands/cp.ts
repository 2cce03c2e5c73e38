/**
 * `ftpkit cp SOURCE DESTINATION`: copies a file between two FTP servers, or between a server
 * and this machine.
 *
 * Both FTP URLs: FXP first (`Client.transferTo`: one server listens, the other connects, the
 * bytes go from server to server). When the servers refuse it (the bounce-attack defences of
 * RFC 2577 are on by default nearly everywhere) or a client protects its data connections
 * (FTPS with PROT P), the file is streamed through this machine instead: the source's
 * download piped into the destination's upload, with back-pressure and no temporary file.
 * Which one was used is said on stderr (or `method` in `--json`). One local side: the same as
 * `get` (through LOCAL.part) or `put`.
 */
import { basename, join, posix, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { type Client, FtpError, FtpFxpError, type FxpResult, type TransferProgress } from "@ftpkit/client";
import type { Command } from "commander";
import { addConnectionOptions, type ConnectionFlags, connect, showTranscript } from "../connect.js";
import { type RunContext, runContext } from "../context.js";
import { CliError, CliUsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { transferSummary } from "../format.js";
import type { CliIo } from "../io.js";
import { type FtpUrl, isUrl, parseFtpUrl, remoteBasename, remoteJoin } from "../url.js";
import { closeQuietly, examples, remoteFailure } from "./common.js";
import { downloadToFile, localInfo, progressFor, uploadFile } from "./transfer-core.js";

interface CpFlags extends ConnectionFlags {
  readonly continue?: boolean;
  readonly json?: boolean;
  /** `--no-fxp` makes this false. */
  readonly fxp?: boolean;
}

export function registerCp(program: Command, io: CliIo): void {
  addConnectionOptions(
    program
      .command("cp")
      .description(
        "copy a file: between two FTP servers directly (FXP) when they allow it, else through this machine; or like get/put with one local side",
      )
      .argument("<source>", "an ftp:// URL or a local file")
      .argument("<destination>", "an ftp:// URL (ending in / for a directory) or a local file or directory")
      .option("-c, --continue", "resume: start at the destination's size (REST on both servers)")
      .option("--no-fxp", "never FXP: always copy through this machine")
      .option(
        "--json",
        "print a JSON summary {source, destination, method, bytes, offset, size, seconds}; method: fxp, stream, download, upload (none: -c found it complete)",
      ),
  )
    .addHelpText(
      "after",
      `\nThe connection flags (--user, --tls ...) apply to both servers; give two different logins in the URLs or ~/.netrc.${examples(
        "ftpkit cp ftp://alice@a.example.com/pub/big.iso ftp://bob@b.example.com/incoming/",
        "ftpkit cp -c --json ftp://a.example.com/big.iso ftp://b.example.com/big.iso",
        "ftpkit cp ftp://ftp.example.com/pub/file.iso ./downloads/",
      )}`,
    )
    .action(async (sourceArg: string, destinationArg: string, flags: CpFlags, command: Command) => {
      const run = runContext(io, command);
      const sourceIsUrl = isUrl(sourceArg);
      const destinationIsUrl = isUrl(destinationArg);
      if (!sourceIsUrl && !destinationIsUrl) {
        throw new CliUsageError("cp needs at least one ftp:// URL (for two local files, use cp(1))");
      }
      if (sourceArg === "-" || destinationArg === "-") {
        throw new CliUsageError("cp does not read standard input or write standard output: use ftpkit put - or cat");
      }
      if (!destinationIsUrl) {
        await copyDown(run, parseFtpUrl(sourceArg), destinationArg, flags);
      } else if (!sourceIsUrl) {
        await copyUp(run, sourceArg, parseFtpUrl(destinationArg), flags);
      } else {
        await copyAcross(run, parseFtpUrl(sourceArg), parseFtpUrl(destinationArg), flags);
      }
    });
}

/** The summary: a JSON object on stdout with `--json`, else one line on stderr (not with `-q`). */
function summarize(run: RunContext, json: boolean, summary: Record<string, unknown>, human: string): void {
  if (json) run.io.out(JSON.stringify(summary));
  else run.note(human);
}

/** The remote file named by `url`: a file, not a directory. */
function remoteFile(url: FtpUrl): { path: string; name: string } {
  const name = remoteBasename(url.path);
  if (url.directory || name === "") throw new CliUsageError(`${url.display} is a directory: cp copies one file`);
  return { path: url.path, name };
}

/** Connects to each URL (closing both at the end), with the `-v` transcript. */
async function withClients<T>(
  run: RunContext,
  urls: readonly [FtpUrl, FtpUrl],
  flags: ConnectionFlags,
  task: (source: Client, destination: Client) => Promise<T>,
): Promise<T> {
  const stopTranscript = run.verbose ? showTranscript(run) : () => {};
  const clients: Client[] = [];
  try {
    for (const url of urls) clients.push(await connect(run, url, flags));
    return await task(clients[0] as Client, clients[1] as Client);
  } finally {
    await Promise.all(clients.map((c) => closeQuietly(c)));
    stopTranscript();
  }
}

/** `cp URL LOCAL`: `get`. */
async function copyDown(run: RunContext, url: FtpUrl, localArg: string, flags: CpFlags): Promise<void> {
  const { path, name } = remoteFile(url);
  let local = resolve(localArg);
  if ((await localInfo(local))?.isDirectory() === true || localArg.endsWith("/")) local = join(local, name);
  const parent = await localInfo(resolve(local, ".."));
  if (parent?.isDirectory() !== true) throw new CliUsageError(`local directory not found: ${resolve(local, "..")}`);
  if ((await localInfo(local))?.isDirectory() === true) throw new CliUsageError(`${local} is a directory`);
  const stopTranscript = run.verbose ? showTranscript(run) : () => {};
  let result: Awaited<ReturnType<typeof downloadToFile>>;
  try {
    const client = await connect(run, url, flags);
    try {
      result = await downloadToFile(run, client, path, local, {
        resume: flags.continue === true,
        label: name,
        what: url.display,
      });
    } finally {
      await closeQuietly(client);
    }
  } finally {
    stopTranscript();
  }
  summarize(
    run,
    flags.json === true,
    {
      source: url.display,
      destination: local,
      method: "download",
      bytes: result.bytes,
      offset: result.offset,
      size: result.offset + result.bytes,
      seconds: result.seconds,
    },
    transferSummary("downloaded", local, result.bytes, result.seconds),
  );
}

/** `cp LOCAL URL`: `put`. */
async function copyUp(run: RunContext, localArg: string, url: FtpUrl, flags: CpFlags): Promise<void> {
  const local = resolve(localArg);
  const info = await localInfo(local);
  if (info === undefined) throw new CliUsageError(`local file not found: ${local}`);
  if (!info.isFile()) throw new CliUsageError(`not a regular file: ${local}`);
  const target = url.directory ? remoteJoin(url.path, basename(local)) : url.path;
  const display = url.directory ? `${url.display.replace(/\/?$/, "/")}${basename(local)}` : url.display;
  const stopTranscript = run.verbose ? showTranscript(run) : () => {};
  let result: Awaited<ReturnType<typeof uploadFile>>;
  try {
    const client = await connect(run, url, flags);
    try {
      result = await uploadFile(run, client, local, info.size, target, {
        resume: flags.continue === true,
        label: basename(local),
        what: display,
      });
    } finally {
      await closeQuietly(client);
    }
  } finally {
    stopTranscript();
  }
  summarize(
    run,
    flags.json === true,
    {
      source: local,
      destination: display,
      method: "upload",
      bytes: result.bytes,
      offset: result.offset,
      size: result.offset + result.bytes,
      seconds: result.seconds,
    },
    transferSummary("uploaded", display, result.bytes, result.seconds),
  );
}

interface Ends {
  readonly source: Client;
  readonly destination: Client;
  readonly sourceUrl: FtpUrl;
  readonly sourcePath: string;
  readonly destinationPath: string;
  readonly destinationDisplay: string;
}

/** `cp URL URL`: FXP, or through this machine when the servers refuse it. */
async function copyAcross(run: RunContext, sourceUrl: FtpUrl, destinationUrl: FtpUrl, flags: CpFlags): Promise<void> {
  const { path: sourcePath, name } = remoteFile(sourceUrl);
  const destinationPath = destinationUrl.directory ? remoteJoin(destinationUrl.path, name) : destinationUrl.path;
  const destinationDisplay = destinationUrl.directory
    ? `${destinationUrl.display.replace(/\/?$/, "/")}${name}`
    : destinationUrl.display;
  if (sameFile(sourceUrl, sourcePath, destinationUrl, destinationPath)) {
    // STOR would truncate the file RETR is reading.
    throw new CliUsageError(`${sourceUrl.display} and ${destinationDisplay} are the same file`);
  }
  const started = performance.now();
  const outcome = await withClients(run, [sourceUrl, destinationUrl], flags, async (source, destination) => {
    const ends: Ends = { source, destination, sourceUrl, sourcePath, destinationPath, destinationDisplay };
    const size = await sourceSize(run, ends);
    let offset = 0;
    if (flags.continue === true) {
      offset = await destination.size(destinationPath, { signal: run.signal }).catch((error: unknown) => {
        if (FtpError.isInstance(error) && error.code === 550) return 0;
        throw error;
      });
      if (size !== undefined && offset > size) {
        throw new CliError(
          EXIT.failure,
          `cannot resume: ${destinationDisplay} (${offset} bytes) is larger than ${sourceUrl.display} (${size} bytes)`,
        );
      }
      // Already complete: nothing to move.
      if (offset === size) return { method: "none" as const, bytes: 0, offset, refused: undefined, fxp: undefined };
    }
    let refused: string | undefined;
    if (flags.fxp !== false) {
      const progress = progressFor(run, name);
      try {
        const fxp = await source.transferTo(sourcePath, destination, destinationPath, {
          signal: run.signal,
          ...(offset > 0 ? { offset } : {}),
          ...(progress.onProgress === undefined ? {} : { onProgress: progress.onProgress }),
        });
        progress.done();
        return { method: "fxp" as const, bytes: fxp.bytes, offset, refused: undefined, fxp };
      } catch (error) {
        progress.done();
        if (!FtpFxpError.isInstance(error) || error.code === "FTP_ERR_FXP_FAILED") {
          throw await fxpFailure(run, ends, error);
        }
        refused = error.message;
        run.note(`ftpkit cp: ${refused}: copying through this machine instead`);
      }
    }
    const bytes = await stream(run, ends, offset, size, name);
    return { method: "stream" as const, bytes, offset, refused, fxp: undefined };
  });
  const seconds = (performance.now() - started) / 1000;
  const how =
    outcome.method === "fxp"
      ? `server to server (FXP, the ${(outcome.fxp as FxpResult).passive} listening)`
      : outcome.method === "none"
        ? "already complete"
        : "through this machine";
  summarize(
    run,
    flags.json === true,
    {
      source: sourceUrl.display,
      destination: destinationDisplay,
      method: outcome.method,
      bytes: outcome.bytes,
      offset: outcome.offset,
      size: outcome.offset + outcome.bytes,
      seconds,
      ...(outcome.fxp === undefined ? {} : { passive: outcome.fxp.passive, commands: outcome.fxp.commands }),
      ...(outcome.refused === undefined ? {} : { fxpRefused: outcome.refused }),
    },
    `${transferSummary("copied", `${sourceUrl.display} to ${destinationDisplay}`, outcome.bytes, seconds)}, ${how}`,
  );
}

/** Both URLs name one file: the same server, login and path (`./a` and `a` too). */
function sameFile(a: FtpUrl, aPath: string, b: FtpUrl, bPath: string): boolean {
  const normal = (path: string) => posix.normalize(path);
  return (
    a.host.toLowerCase() === b.host.toLowerCase() &&
    a.port === b.port &&
    (a.user ?? "anonymous") === (b.user ?? "anonymous") &&
    normal(aPath) === normal(bPath)
  );
}

/** SIZE of the source; a missing source fails here (exit 5), a server without SIZE leaves it unknown. */
async function sourceSize(run: RunContext, ends: Ends): Promise<number | undefined> {
  try {
    return await ends.source.size(ends.sourcePath, { signal: run.signal });
  } catch (error) {
    if (run.signal.aborted || (FtpError.isInstance(error) && (error.code === 550 || error.code === 450))) {
      throw await remoteFailure(run, ends.source, error, ends.sourceUrl.display, ends.sourcePath, { file: true });
    }
    return undefined;
  }
}

/** An FXP failure as a CliError: the side's own error, read as `get`/`put` would read it. */
async function fxpFailure(run: RunContext, ends: Ends, error: unknown): Promise<CliError> {
  if (!FtpFxpError.isInstance(error)) return remoteFailure(run, ends.source, error, ends.sourceUrl.display);
  const cause = error.cause ?? error;
  if (error.side === "destination") {
    return remoteFailure(run, ends.destination, cause, ends.destinationDisplay, ends.destinationPath);
  }
  return remoteFailure(run, ends.source, cause, ends.sourceUrl.display, ends.sourcePath, { file: true });
}

/**
 * Through this machine: the source's download stream piped into the destination's upload
 * (back-pressure end to end, nothing on disk), both from `offset`.
 * @returns the bytes moved.
 */
async function stream(
  run: RunContext,
  ends: Ends,
  offset: number,
  size: number | undefined,
  label: string,
): Promise<number> {
  const reading = ends.source.createReadStream(ends.sourcePath, { signal: run.signal, offset });
  let readError: unknown;
  reading.on("error", (error) => {
    readError = error;
  });
  const progress = progressFor(run, label);
  const onProgress =
    progress.onProgress === undefined
      ? undefined
      : (p: TransferProgress) => (progress.onProgress as (p: TransferProgress) => void)({ ...p, total: size });
  try {
    const { bytes } = await ends.destination.upload(reading, ends.destinationPath, {
      signal: run.signal,
      ...(offset > 0 ? { offset } : {}),
      ...(onProgress === undefined ? {} : { onProgress }),
    });
    progress.done();
    if (size !== undefined && offset + bytes < size) {
      throw new CliError(
        EXIT.transfer,
        `${ends.sourceUrl.display}: transfer failed: ${offset + bytes} of ${size} bytes`,
      );
    }
    return bytes;
  } catch (error) {
    progress.done();
    reading.destroy();
    if (error instanceof CliError) throw error;
    if (readError !== undefined && !run.signal.aborted) {
      throw await remoteFailure(run, ends.source, readError, ends.sourceUrl.display, ends.sourcePath, { file: true });
    }
    throw await remoteFailure(run, ends.destination, error, ends.destinationDisplay, ends.destinationPath);
  }
}
