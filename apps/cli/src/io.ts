import type { Readable, Writable } from "node:stream";

/** A terminal-capable output stream (process.stderr and process.stdout are). */
export type TerminalWritable = Writable & { readonly isTTY?: boolean; readonly columns?: number };
/** A terminal-capable input stream (process.stdin is). */
export type TerminalReadable = Readable & { readonly isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/** Where the program writes, and how it waits for Ctrl-C (injected by tests). */
export interface CliIo {
  /** One line of standard output. */
  readonly out: (line: string) => void;
  /** One line of standard error. */
  readonly err: (line: string) => void;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); a second request forces the exit. */
  readonly untilStopped: () => Promise<void>;
  /** Raw standard output, for file contents (`cat`, `get URL -`). Default: the contents go through `out`. */
  readonly stdout?: TerminalWritable;
  /** Standard input (`hash-password`, `shell`). */
  readonly stdin?: TerminalReadable;
  /** Raw standard error, for progress bars (drawn only when it is a TTY). */
  readonly stderr?: TerminalWritable;
  /** The environment (`FTPKIT_PASSWORD`, `NO_COLOR`, `HOME`, `NETRC`); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The environment a command sees. */
export function envOf(io: CliIo): Readonly<Record<string, string | undefined>> {
  return io.env ?? process.env;
}
