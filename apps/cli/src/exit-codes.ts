/**
 * The exit codes of every `ftpkit` command, one per kind of failure, so scripts can tell
 * "the file is not there" from "the server is down" without reading messages. The table is
 * documented in the README ("The ftpkit command") and apps/cli/README.md; keep them in step.
 */
export const EXIT = Object.freeze({
  /** Done. */
  ok: 0,
  /** Anything not listed below (an unexpected reply, a local I/O error, a port in use for `serve`). */
  failure: 1,
  /** Bad command line or input: unknown option, malformed URL, missing local file, invalid config. */
  usage: 2,
  /** The server could not be reached, or the connection was lost (refused, timeout, closed, TLS). */
  connection: 3,
  /** The server refused the login (530 to USER/PASS/ACCT). */
  login: 4,
  /** The remote file or directory does not exist. */
  notFound: 5,
  /** The server (or the local system) refused the action: permissions, read-only account. */
  permission: 6,
  /** A transfer started but did not complete: data connection failed, 426/451/452/552, short file. */
  transfer: 7,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM: 128 + SIGINT, as shells report it. */
  interrupted: 130,
});

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The table as printed by `ftpkit --help` and the READMEs. */
export const EXIT_TABLE: readonly (readonly [ExitCode, string])[] = [
  [EXIT.ok, "success"],
  [EXIT.failure, "other failure (unexpected reply, local I/O error, serve: port in use)"],
  [EXIT.usage, "usage error: bad option or argument, malformed URL, missing local file, invalid config"],
  [EXIT.connection, "connection failed: refused, timed out, closed, TLS handshake"],
  [EXIT.login, "login failed"],
  [EXIT.notFound, "remote file or directory not found"],
  [EXIT.permission, "permission denied"],
  [EXIT.transfer, "transfer failed (data connection, aborted by the server, disk full, short file)"],
  [EXIT.interrupted, "interrupted (Ctrl-C)"],
];
