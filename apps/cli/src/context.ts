/**
 * What every command gets: the I/O, the global flags (`-v`, `-q`, `--debug`), colour
 * decisions, and an AbortSignal that fires on Ctrl-C, so a running transfer ends with ABOR
 * and the command exits 130 after cleaning up.
 */
import type { Command } from "commander";
import { InterruptedError } from "./errors.js";
import { type CliIo, envOf } from "./io.js";
import { colorEnabled, makeStyle, type Style } from "./style.js";

export interface GlobalFlags {
  /** `-v`: the control-connection transcript on stderr (PASS masked). */
  readonly verbose: boolean;
  /** `-q`: no progress bars, no summaries, no serve log. */
  readonly quiet: boolean;
  /** `--debug`: stack traces for errors. */
  readonly debug: boolean;
}

export interface RunContext extends GlobalFlags {
  readonly io: CliIo;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The command's name, for messages (`ftpkit get: ...`). */
  readonly command: string;
  /** Styles for stdout and stderr (each on only for a terminal, never with NO_COLOR). */
  readonly outStyle: Style;
  readonly errStyle: Style;
  /** Aborted (with an InterruptedError) when the user presses Ctrl-C. */
  readonly signal: AbortSignal;
  /** Progress bars are drawn: stderr is a terminal and not `--quiet`. */
  readonly progress: boolean;
  /** Prints one line on stderr, unless `--quiet`. */
  note(line: string): void;
}

/** The global flags as commander parsed them (they may come before or after the command name). */
export function globalFlags(command: Command): GlobalFlags {
  const o = command.optsWithGlobals() as { verbose?: boolean; quiet?: boolean; debug?: boolean };
  return { verbose: o.verbose === true, quiet: o.quiet === true, debug: o.debug === true };
}

/** The context of one run of `command`; Ctrl-C aborts its signal. */
export function runContext(io: CliIo, command: Command): RunContext {
  const flags = globalFlags(command);
  const env = envOf(io);
  const controller = new AbortController();
  // untilStopped installs the SIGINT/SIGTERM handlers (bin.ts); a second Ctrl-C exits at once.
  io.untilStopped().then(
    () => controller.abort(new InterruptedError()),
    () => {},
  );
  const stderrTty = io.stderr?.isTTY === true;
  return {
    ...flags,
    io,
    env,
    command: command.name(),
    outStyle: makeStyle(colorEnabled(io.stdout, env)),
    errStyle: makeStyle(colorEnabled(io.stderr, env)),
    signal: controller.signal,
    progress: stderrTty && !flags.quiet,
    note: (line) => {
      if (!flags.quiet) io.err(line);
    },
  };
}
