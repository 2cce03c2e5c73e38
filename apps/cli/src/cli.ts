import { Command, InvalidArgumentError } from "commander";
import { dev } from "./dev.js";
import { type RunningServe, serve, UsageError } from "./serve.js";

/** Where the program writes, and how it waits for Ctrl-C (injected by tests). */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); a second request forces the exit. */
  readonly untilStopped: () => Promise<void>;
}

/** Exit codes: 0 ok, 1 runtime failure (port taken, ...), 2 usage error. */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2 });

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError("a port is 0..65535");
  return port;
}

/**
 * The `ftpkit` command. Today: `ftpkit serve [DIR]`; the CLI issue adds the client commands.
 * @returns the program; `parseAsync(argv)` runs it.
 */
export function createProgram(io: CliIo, onServe?: (running: RunningServe) => void): Command {
  const program = new Command("ftpkit")
    .description("FTP done properly: run a server on a folder, and more.")
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
      async (dir: string, o: { host: string; port: number; user: string; password?: string; readOnly?: boolean }) => {
        const running = await serve(dir, {
          host: o.host,
          port: o.port,
          user: o.user,
          ...(o.password === undefined ? {} : { password: o.password }),
          ...(o.readOnly ? { readOnly: true } : {}),
        });
        io.out(`Serving ${running.root}${o.readOnly ? " (read-only)" : ""}`);
        io.out(`  ${running.url}`);
        if (o.password === undefined) io.out(`  user ${running.user}, password ${running.password} (generated)`);
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
    .description("local development: the bundled server on a folder, with printed credentials")
    .argument("[dir]", "FTP root, created when missing", "ftpkit-dev")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "FTP port (0 picks a free one)", parsePort, 2121)
    .action(async (dir: string, o: { host: string; port: number }) => {
      const running = await dev({ dir, host: o.host, port: o.port });
      io.out("ftpkit dev");
      io.out(`  FTP root   ${running.root}`);
      io.out(`  FTP server ${running.url}`);
      io.out(`  user ${running.user}, password ${running.password}`);
      io.out("Press Ctrl-C to stop.");
      onServe?.(running);
      await io.untilStopped();
      await running.stop();
      io.out("Stopped.");
    });
  return program;
}

/**
 * Runs the command line; never throws.
 * @returns the exit code ({@link EXIT}).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    const e = error as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === "string" && e.code.startsWith("commander.")) {
      // Help and version print and exit 0; parse errors were already printed by commander.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.err(`ftpkit: ${error.message}`);
      return EXIT.usage;
    }
    const cause = (error as { cause?: { message?: string } }).cause;
    io.err(`ftpkit: ${e.message ?? String(error)}${cause?.message ? `: ${cause.message}` : ""}`);
    return EXIT.failure;
  }
}
