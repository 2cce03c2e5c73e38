import { EXIT, type ExitCode } from "./exit-codes.js";

/**
 * A failure the CLI has already explained: printed as one line (`ftpkit <command>: <message>`)
 * and turned into its exit code. Everything else thrown inside a command is mapped by
 * `failure.ts` from the client's typed errors.
 */
export class CliError extends Error {
  override readonly name: string = "CliError";
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = exitCode;
  }
}

/** Bad input the user can fix: exit code 2. */
export class CliUsageError extends CliError {
  override readonly name = "CliUsageError";

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(EXIT.usage, message, options);
  }
}

/** Ctrl-C: the reason an interrupted call is aborted with (exit code 130). */
export class InterruptedError extends CliError {
  override readonly name = "InterruptedError";

  constructor() {
    super(EXIT.interrupted, "interrupted");
  }
}
