import { Command, InvalidArgumentError } from "commander";
import { registerCommands } from "./commands/index.js";
import { serveAccessOptions } from "./commands/serve-options.js";
import { DEFAULT_WEB_PORT, dev } from "./dev.js";
import { CliError } from "./errors.js";
import { EXIT, EXIT_TABLE } from "./exit-codes.js";
import { explain } from "./failure.js";
import type { CliIo } from "./io.js";
import { type RunningServe, serve, UsageError } from "./serve.js";

export { EXIT } from "./exit-codes.js";
export type { CliIo } from "./io.js";

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError("a port is 0..65535");
  return port;
}

/**
 * The `ftpkit` command: `serve` and `dev` here, the other commands from commands/.
 * @returns the program; `parseAsync(argv)` runs it.
 */
export function createProgram(io: CliIo, onServe?: (running: RunningServe) => void): Command {
  const program = new Command("ftpkit")
    .description(
      "FTP done properly: serve a folder, move files and mirror trees with curl-style URLs, or open a shell.",
    )
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  program
    .command("serve")
    .description("serve DIR (default: the current directory) over FTP until Ctrl-C")
    .argument("[dir]", "directory to serve", ".")
    .option("--host <host>", "address to listen on (0.0.0.0 or :: for every interface)", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 picks a free one)", parsePort, 2121)
    .option("--user <name>", "user name", "ftpkit")
    .option("--password <password>", "password (default: a random one, printed)")
    .option("--read-only", "refuse uploads, deletes and renames")
    .action(
      async (
        dir: string,
        o: { host: string; port: number; user: string; password?: string; readOnly?: boolean },
        command: Command,
      ) => {
        const running = await serve(dir, {
          host: o.host,
          port: o.port,
          user: o.user,
          ...(o.password === undefined ? {} : { password: o.password }),
          ...(o.readOnly ? { readOnly: true } : {}),
          ...serveAccessOptions(io, command),
        });
        io.out(
          `Serving ${running.accountsDb === undefined ? running.root : `the accounts of ${running.accountsDb}`}${o.readOnly ? " (read-only)" : ""}`,
        );
        io.out(`  ${running.url}`);
        for (const line of running.access) io.out(`  ${line}`);
        for (const line of running.tls) io.out(`  ${line}`);
        io.out("Press Ctrl-C to stop.");
        onServe?.(running);
        await io.untilStopped();
        io.out("Stopping: waiting for transfers to finish (Ctrl-C again to force)...");
        await running.stop();
        io.out("Stopped.");
      },
    );
  program
    .command("dev")
    .description("local development: the bundled server on a folder, with printed credentials, and the web demo")
    .argument("[dir]", "FTP root, created when missing", "ftpkit-dev")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "FTP port (0 picks a free one)", parsePort, 2121)
    .option("--web-port <port>", "web demo port on 127.0.0.1 (0 picks a free one)", parsePort, DEFAULT_WEB_PORT)
    .option("--no-web", "do not start the web demo")
    .option("--tls", "require FTPS with a self-signed certificate (local development only); the web demo trusts it")
    .option(
      "--web-allow <host:port,...>",
      "more FTP servers the web demo may connect to (default: the bundled server only)",
      (value: string, previous: string[] = []) => [...previous, ...value.split(",").filter(Boolean)],
    )
    .action(
      async (
        dir: string,
        o: { host: string; port: number; webPort: number; web: boolean; webAllow?: string[]; tls?: boolean },
      ) => {
        const running = await dev({
          dir,
          host: o.host,
          port: o.port,
          webPort: o.web ? o.webPort : false,
          ...(o.webAllow === undefined ? {} : { webAllow: o.webAllow }),
          ...(o.tls === true ? { tls: true } : {}),
        });
        io.out("ftpkit dev");
        io.out(`  FTP root   ${running.root}`);
        io.out(`  FTP server ${running.url}`);
        io.out(`  user ${running.user}, password ${running.password}`);
        for (const line of running.tls) io.out(`  ${line}`);
        if (running.web !== undefined) io.out(`  Web demo   ${running.web.url}`);
        else if (running.webUnavailable !== undefined) io.out(`  Web demo   not started: ${running.webUnavailable}`);
        io.out("Press Ctrl-C to stop.");
        onServe?.(running);
        await io.untilStopped();
        await running.stop();
        io.out("Stopped.");
      },
    );
  registerCommands(program, io);
  return program;
}

/** Where the exit-code table is printed (`ftpkit --help`). */
function exitCodeHelp(): string {
  return `\nExit codes:\n${EXIT_TABLE.map(([code, meaning]) => `  ${String(code).padEnd(4)}${meaning}`).join("\n")}`;
}

/**
 * Runs the command line; never throws.
 * @returns the exit code ({@link EXIT}).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  program.addHelpText("afterAll", exitCodeHelp());
  let running: Command | undefined;
  program.hook("preAction", (_program, action) => {
    running = action;
  });
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    const e = error as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === "string" && e.code.startsWith("commander.")) {
      // Help and version print and exit 0; parse errors were already printed by commander.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const debug = running?.optsWithGlobals<{ debug?: boolean }>().debug === true || argv.includes("--debug");
    if (debug) io.err(stackOf(error));
    // serve and dev keep their historical prefix `ftpkit:`; the other commands name themselves.
    const name = running?.name();
    const prefix = name === undefined || name === "serve" || name === "dev" ? "ftpkit" : `ftpkit ${name}`;
    if (error instanceof UsageError) {
      io.err(`${prefix}: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof CliError) {
      io.err(`${prefix}: ${error.message}`);
      return error.exitCode;
    }
    if (name === "serve" || name === "dev") {
      const cause = (error as { cause?: { message?: string } }).cause;
      io.err(`ftpkit: ${e.message ?? String(error)}${cause?.message ? `: ${cause.message}` : ""}`);
      return EXIT.failure;
    }
    const explained = explain(error, name ?? "ftpkit");
    io.err(`${prefix}: ${explained.message}`);
    return explained.exitCode;
  }
}

/** The error's stack and its causes' (`--debug`). */
function stackOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? current.message) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) parts.push("Caused by:");
  }
  return parts.join("\n");
}
