/**
 * From a URL and the connection flags to a logged-in `Client`: credentials (URL, `--user`,
 * `FTPKIT_PASSWORD`, `~/.netrc`, a prompt), TLS (`ftps://` implicit, `--tls` explicit), the
 * `-v` transcript, and connection failures mapped to exit codes (3 connection, 4 login).
 */
import diagnosticsChannel from "node:diagnostics_channel";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { Client, type ConnectOptions, type FtpCommandMessage, type FtpReplyMessage } from "@ftpkit/client";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { RunContext } from "./context.js";
import { CliError, CliUsageError } from "./errors.js";
import { explain } from "./failure.js";
import { findNetrcEntry, parseNetrc } from "./netrc.js";
import { readSecret } from "./prompt.js";
import type { FtpUrl } from "./url.js";

/** The connection flags every URL command takes. */
export interface ConnectionFlags {
  /** `--user user[:password]`. */
  readonly user?: string;
  /** `--tls`: explicit FTPS (AUTH TLS on the plain port). */
  readonly tls?: boolean;
  /** `-k`: do not verify the server's certificate. */
  readonly insecure?: boolean;
  /** `--cacert FILE`: trust this CA (PEM) for the server's certificate. */
  readonly cacert?: string;
  /** `--netrc-file FILE`; default `$NETRC` or `~/.netrc`. */
  readonly netrcFile?: string;
  /** `--no-netrc` makes this false. */
  readonly netrc?: boolean;
  /** `--active`: active mode (EPRT/PORT) instead of passive. */
  readonly active?: boolean;
  /** `--timeout SECONDS`. */
  readonly timeout?: number;
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3600)
    throw new InvalidArgumentError("seconds, more than 0 and at most 3600");
  return n;
}

/** Adds the connection flags to a URL command. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option(
      "-u, --user <user[:password]>",
      "log in as this user (password also from FTPKIT_PASSWORD, ~/.netrc or a prompt)",
    )
    .option("--tls", "explicit FTPS: AUTH TLS on the ftp:// port (ftps:// URLs are implicit FTPS)")
    .option("-k, --insecure", "do not verify the server's TLS certificate")
    .option("--cacert <file>", "trust this CA certificate (PEM) for the server")
    .option("--netrc-file <file>", "read credentials from this file instead of ~/.netrc")
    .option("--no-netrc", "do not read ~/.netrc")
    .option("--active", "active mode (the server connects back: EPRT/PORT)")
    .addOption(new Option("--timeout <seconds>", "connect and reply timeout").argParser(parseSeconds).default(30));
}

export interface Login {
  readonly user: string;
  readonly password: string;
  readonly account: string | undefined;
  /** Where the password came from (never the password itself). */
  readonly source: "--user" | "url" | "FTPKIT_PASSWORD" | "netrc" | "prompt" | "anonymous" | "none";
}

const ANONYMOUS = new Set(["anonymous", "ftp"]);

/** Asks for a password without echo (the shell asks through its readline). */
export type PasswordPrompt = (prompt: string) => Promise<string>;

async function netrcEntries(flags: ConnectionFlags, env: Readonly<Record<string, string | undefined>>) {
  if (flags.netrc === false) return [];
  const explicit = flags.netrcFile ?? env["NETRC"];
  const file = explicit ?? join(env["HOME"] ?? homedir(), ".netrc");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    if (explicit === undefined && (cause as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new CliUsageError(`cannot read netrc file ${file}: ${(cause as Error).message}`, { cause });
  }
  return parseNetrc(text);
}

/**
 * The login for `url`. User: `--user`, else the URL's, else the netrc entry's, else
 * `anonymous`. Password: `--user user:password`, else the URL's, else FTPKIT_PASSWORD, else
 * the netrc entry's (for that user), else a prompt when stdin is a terminal, else none
 * (`anonymous@` for anonymous).
 */
export async function resolveLogin(
  url: FtpUrl,
  flags: ConnectionFlags,
  run: RunContext,
  askPassword?: PasswordPrompt,
): Promise<Login> {
  let user: string | undefined;
  let password: string | undefined;
  let source: Login["source"] = "none";
  if (flags.user !== undefined) {
    const colon = flags.user.indexOf(":");
    user = colon === -1 ? flags.user : flags.user.slice(0, colon);
    if (colon !== -1) {
      password = flags.user.slice(colon + 1);
      source = "--user";
    }
    if (user === "") throw new CliUsageError("--user: the user name is empty");
  }
  user ??= url.user;
  if (password === undefined && url.password !== undefined && (flags.user === undefined || user === url.user)) {
    password = url.password;
    source = "url";
  }
  if (password === undefined && run.env["FTPKIT_PASSWORD"] !== undefined && user !== undefined) {
    password = run.env["FTPKIT_PASSWORD"];
    source = "FTPKIT_PASSWORD";
  }
  let account: string | undefined;
  if (password === undefined) {
    const entry = findNetrcEntry(await netrcEntries(flags, run.env), url.host, user);
    if (entry !== undefined && (user === undefined || entry.login === undefined || entry.login === user)) {
      user ??= entry.login;
      if (entry.password !== undefined && user !== undefined) {
        password = entry.password;
        account = entry.account;
        source = "netrc";
      }
    }
  }
  if (password === undefined && user === undefined && run.env["FTPKIT_PASSWORD"] !== undefined) {
    throw new CliUsageError("FTPKIT_PASSWORD is set but no user is given: add user@ to the URL or --user NAME");
  }
  user ??= "anonymous";
  if (password === undefined && ANONYMOUS.has(user.toLowerCase())) {
    password = "anonymous@";
    source = "anonymous";
  }
  const prompt = `Password for ${user}@${url.host}: `;
  if (password === undefined && askPassword !== undefined) {
    password = await askPassword(prompt);
    source = "prompt";
  } else if (password === undefined && run.io.stdin?.isTTY === true && run.io.stderr !== undefined) {
    password = await readSecret(run.io.stdin, run.io.stderr, prompt);
    source = "prompt";
  }
  return { user, password: password ?? "", account, source };
}

/** The client options for `url`; FTPS options follow @ftpkit/client's `secure`/`secureOptions`. */
export async function clientOptions(url: FtpUrl, flags: ConnectionFlags, login: Login): Promise<ConnectOptions> {
  const timeout = Math.round((flags.timeout ?? 30) * 1000);
  const options: Record<string, unknown> = {
    host: url.host,
    port: url.port,
    user: login.user,
    password: login.password,
    ...(login.account === undefined ? {} : { account: login.account }),
    timeout,
    keepAlive: false,
    retries: 2,
    mode: flags.active === true ? "active" : "passive",
  };
  const secure = url.scheme === "ftps" ? "implicit" : url.scheme === "ftpes" || flags.tls === true ? true : undefined;
  if (secure !== undefined) {
    options["secure"] = secure;
    const secureOptions: Record<string, unknown> = {};
    if (flags.insecure === true) secureOptions["rejectUnauthorized"] = false;
    if (flags.cacert !== undefined) {
      try {
        secureOptions["ca"] = await readFile(flags.cacert, "utf8");
      } catch (cause) {
        throw new CliUsageError(`cannot read --cacert ${flags.cacert}: ${(cause as Error).message}`, { cause });
      }
    }
    if (Object.keys(secureOptions).length > 0) options["secureOptions"] = secureOptions;
  } else if (flags.insecure === true || flags.cacert !== undefined) {
    throw new CliUsageError("-k/--insecure and --cacert need FTPS: an ftps:// or ftpes:// URL, or --tls");
  }
  return options as ConnectOptions;
}

/** Prints the control connection's transcript on stderr (`-v`); returns the unsubscribe function. */
export function showTranscript(run: RunContext): () => void {
  const style = run.errStyle;
  const onCommand = (message: unknown) => {
    const m = message as FtpCommandMessage;
    // The client masks PASS already; mask again so no build of it can ever leak one here.
    const line = /^(PASS|ACCT)\s/i.test(m.command) ? `${m.command.slice(0, 4)} ****` : m.command;
    run.io.err(style.dim(`> ${line}`));
  };
  // The client publishes a closing reply (221 to QUIT) again with the connection's close: show it once.
  const lastReply = new Map<number, unknown>();
  const onReply = (message: unknown) => {
    const m = message as FtpReplyMessage;
    if (lastReply.get(m.connectionId) === m.reply) return;
    lastReply.set(m.connectionId, m.reply);
    const lines = m.reply.lines.length === 0 ? [""] : m.reply.lines;
    lines.forEach((text, i) => {
      const separator = i === lines.length - 1 ? " " : "-";
      run.io.err(style.dim(`< ${m.reply.code}${separator}${text}`));
    });
  };
  diagnosticsChannel.subscribe("ftp:client:command", onCommand);
  diagnosticsChannel.subscribe("ftp:client:reply", onReply);
  return () => {
    diagnosticsChannel.unsubscribe("ftp:client:command", onCommand);
    diagnosticsChannel.unsubscribe("ftp:client:reply", onReply);
  };
}

/** Where a URL points, for messages: `host:port`. */
export function origin(url: FtpUrl): string {
  const host = url.host.includes(":") ? `[${url.host}]` : url.host;
  return `${host}:${url.port}`;
}

/**
 * Connects and logs in.
 * @throws CliError: exit 2 for options the client refuses (e.g. FTPS before the client has
 *   it), 3 when the server cannot be reached, 4 when the login is refused.
 */
export async function connect(
  run: RunContext,
  url: FtpUrl,
  flags: ConnectionFlags,
  askPassword?: PasswordPrompt,
): Promise<Client> {
  const login = await resolveLogin(url, flags, run, askPassword);
  const options = await clientOptions(url, flags, login);
  let client: Client;
  try {
    client = new Client(options);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    if (/secure/i.test(message)) {
      throw new CliUsageError(`FTPS is not available in this build of @ftpkit/client (${message})`, { cause });
    }
    throw new CliUsageError(message, { cause });
  }
  try {
    // The first call opens the connection and logs in.
    await client.pwd({ signal: run.signal });
  } catch (cause) {
    await client.close().catch(() => {});
    if (run.signal.aborted) throw run.signal.reason;
    const explained = explain(cause, origin(url));
    const message =
      explained.exitCode === 4
        ? `login as ${login.user} to ${origin(url)} failed${login.source === "none" ? " (no password given)" : ""}: ${explained.message.replace(/^login failed \((.*)\)$/, "$1")}`
        : explained.message.includes(origin(url))
          ? explained.message
          : `${origin(url)}: ${explained.message}`;
    throw new CliError(explained.exitCode, message, { cause });
  }
  return client;
}
