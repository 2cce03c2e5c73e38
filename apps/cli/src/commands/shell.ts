/**
 * `ftpkit shell [URL]`: an interactive session with the classic ftp(1) commands, a line
 * editor with history (node:readline; kept in ~/.ftpkit_history) and TAB completion of
 * commands and of remote and local paths. With standard input not a terminal it reads
 * commands from it, one per line, without prompts (a script); it then exits with the code
 * of the last command that failed.
 */
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import type { Command } from "commander";
import { addConnectionOptions, type ConnectionFlags } from "../connect.js";
import { type RunContext, runContext } from "../context.js";
import { CliError, InterruptedError } from "../errors.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { explain } from "../failure.js";
import type { CliIo } from "../io.js";
import { ShellSession } from "../shell/session.js";
import { examples } from "./common.js";

const HISTORY_SIZE = 1000;

function historyFile(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env["FTPKIT_HISTORY"] !== undefined) return env["FTPKIT_HISTORY"] === "" ? undefined : env["FTPKIT_HISTORY"];
  return join(env["HOME"] ?? homedir(), ".ftpkit_history");
}

async function loadHistory(file: string | undefined): Promise<string[]> {
  if (file === undefined) return [];
  const text = await readFile(file, "utf8").catch(() => "");
  // readline keeps the newest entry first.
  return text
    .split("\n")
    .filter((l) => l !== "")
    .slice(-HISTORY_SIZE)
    .reverse();
}

/**
 * Asks a question without echoing the answer (the prompt is shown). readline has no muted
 * mode, so its output hook is wrapped for the time of the question, and the answer is taken
 * out of the history.
 */
function askHidden(rl: Interface, prompt: string): Promise<string> {
  const hooked = rl as unknown as { _writeToOutput: (text: string) => void; history?: string[] };
  const original = hooked._writeToOutput;
  return new Promise((resolve) => {
    let muted = false;
    hooked._writeToOutput = function (this: unknown, text: string) {
      if (!muted || text === "\r\n" || text === "\n") original.call(rl, text);
    };
    rl.question(prompt, (answer) => {
      hooked._writeToOutput = original;
      if (hooked.history?.[0] === answer) hooked.history.shift();
      resolve(answer);
    });
    muted = true;
  });
}

export function registerShell(program: Command, io: CliIo): void {
  addConnectionOptions(
    program
      .command("shell")
      .description("an interactive FTP session (open, ls, cd, get, put, mget, mput, ...; TAB completes)")
      .argument("[url]", "connect to this server first: ftp://[user[:password]@]host[:port]/path"),
  )
    .addHelpText(
      "after",
      `${examples("ftpkit shell ftp://alice@example.com/", "ftpkit shell", "printf 'cd pub\\nmget *.txt\\nbye\\n' | ftpkit shell ftp://localhost:2121/")}

Commands: open, user, close, ls, dir, cd, cdup, pwd, lcd, lpwd, get, put, mget, mput, mkdir,
rmdir, delete, rename, binary, ascii, passive, verbose, status, help, bye (quit, exit).`,
    )
    .action(async (urlText: string | undefined, flags: ConnectionFlags, command: Command) => {
      const run = runContext(io, command);
      const code = await runShell(run, urlText, flags);
      if (code !== EXIT.ok) throw new CliError(code, "a command failed");
    });
}

async function runShell(run: RunContext, urlText: string | undefined, flags: ConnectionFlags): Promise<ExitCode> {
  const io = run.io;
  const input = io.stdin ?? process.stdin;
  const output = io.stdout ?? process.stdout;
  const terminal = input.isTTY === true && output.isTTY === true;
  const file = terminal ? historyFile(run.env) : undefined;
  const history = await loadHistory(file);
  let session: ShellSession | undefined;
  const rl = createInterface({
    input,
    output,
    terminal,
    prompt: "ftp> ",
    history,
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    completer: (line: string, callback: (error: Error | null, result: [string[], string]) => void) => {
      (session?.complete(line) ?? Promise.resolve<[string[], string]>([[], line])).then(
        (result) => callback(null, result),
        () => callback(null, [[], line]),
      );
    },
  });
  const lines = rl[Symbol.asyncIterator]();
  /** The next line (a question's answer when not on a terminal: scripts give them as lines). */
  const nextLine = async (prompt: string, hidden: boolean): Promise<string> => {
    if (terminal) return hidden ? askHidden(rl, prompt) : new Promise((resolve) => rl.question(prompt, resolve));
    const next = await lines.next();
    if (next.done === true) throw new CliError(EXIT.usage, "input ended");
    return next.value;
  };
  session = new ShellSession(
    run,
    flags,
    { line: (p) => nextLine(p, false), password: (p) => nextLine(p, true) },
    process.cwd(),
  );
  let running: AbortController | undefined;
  let lastFailure: ExitCode = EXIT.ok;
  rl.on("SIGINT", () => {
    if (running !== undefined) running.abort(new InterruptedError());
    else {
      output.write("^C\n");
      rl.write(null, { ctrl: true, name: "u" });
      rl.prompt();
    }
  });
  // A SIGINT/SIGTERM to the process (not from the terminal's Ctrl-C, which readline gets) ends the session.
  run.signal.addEventListener("abort", () => {
    running?.abort(run.signal.reason);
    rl.close();
  });
  /** Runs a line; true when the session should end. */
  const execute = async (line: string): Promise<boolean> => {
    const controller = new AbortController();
    running = controller;
    const ctx: RunContext = { ...run, signal: AbortSignal.any([run.signal, controller.signal]) };
    try {
      return await session.execute(line, ctx);
    } catch (error) {
      const explained = controller.signal.aborted
        ? { exitCode: EXIT.interrupted, message: "interrupted" }
        : explain(error, line.trim().split(/\s+/)[0] ?? "");
      if (run.debug && error instanceof Error) io.err(error.stack ?? error.message);
      io.err(`${explained.message}`);
      lastFailure = explained.exitCode;
      return false;
    } finally {
      running = undefined;
    }
  };
  try {
    if (urlText !== undefined) {
      const quoted = JSON.stringify(urlText);
      await execute(`open ${quoted}`);
      if (session.client === undefined && !terminal) return lastFailure;
    }
    if (terminal) rl.prompt();
    for (;;) {
      const next = await lines.next();
      if (next.done === true) break;
      const line = next.value;
      if (line.trim() !== "") {
        if (file !== undefined) await appendFile(file, `${line}\n`).catch(() => {});
        if (await execute(line)) break;
      }
      if (terminal) rl.prompt();
    }
  } finally {
    rl.close();
    await session.close();
    if (file !== undefined) await trimHistory(file);
  }
  if (terminal) output.write("Goodbye.\n");
  return run.signal.aborted ? EXIT.interrupted : terminal ? EXIT.ok : lastFailure;
}

async function trimHistory(file: string): Promise<void> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text === undefined) return;
  const lines = text.split("\n").filter((l) => l !== "");
  if (lines.length > HISTORY_SIZE * 2)
    await writeFile(file, `${lines.slice(-HISTORY_SIZE).join("\n")}\n`).catch(() => {});
}
