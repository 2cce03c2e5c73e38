/**
 * A logged-in control connection and what the client remembers about it: the server's
 * features, the current directory, the representation type, and which data-connection
 * commands the server refused (so they are not tried again on this connection).
 */
import {
  parseFeatReply,
  parseQuotedPathname,
  type ReplyOutcome,
  redactCommand,
  replyMessage,
  type Verb,
} from "@ftpkit/protocol";
import { FtpError } from "../errors/ftp-error.js";
import { FtpTlsError } from "../errors/ftp-tls-error.js";
import type { ResolvedOptions } from "../options.js";
import { type CommandResult, ControlConnection } from "./control-connection.js";

/**
 * What a client learned about its server, kept across reconnects: which commands the server
 * refused, so they are not tried again on the next connection either.
 */
export interface ServerHints {
  /** False once the server refused EPSV: PASV from then on. */
  epsv: boolean;
  /** False once the server refused EPRT: PORT from then on. */
  eprt: boolean;
  /** False once the server refused `LIST -a`: plain LIST from then on. */
  listAll: boolean;
}

export function freshHints(): ServerHints {
  return { epsv: true, eprt: true, listAll: true };
}

export class Connection {
  readonly control: ControlConnection;
  readonly options: ResolvedOptions;
  /** Shared with the client's earlier and later connections. */
  readonly hints: ServerHints;
  /** FEAT (RFC 2389): feature name (upper case) to its parameters. Empty when FEAT failed. */
  features: ReadonlyMap<string, string> = new Map();
  /** The current directory as the server last reported it (PWD). */
  cwd = "/";
  /** The representation type last set with TYPE, if any. */
  type: "A" | "I" | undefined;
  /** FTPS: the data protection level in effect (PROT P: `private`); `clear` for plain FTP. */
  protection: "private" | "clear" = "clear";

  constructor(control: ControlConnection, options: ResolvedOptions, hints: ServerHints = freshHints()) {
    this.control = control;
    this.options = options;
    this.hints = hints;
  }

  get usable(): boolean {
    return this.control.usable;
  }

  /**
   * Sends a command and returns its result when the outcome is one of `accept` (default:
   * success only).
   * @throws FtpError for any other outcome (4yz/5yz, or an unexpected 3yz).
   */
  async expect(
    verb: Verb,
    argument: string | undefined,
    signal: AbortSignal | undefined,
    accept: readonly ReplyOutcome[] = ["success"],
  ): Promise<CommandResult> {
    return check(await this.control.request(verb, argument, signal), accept);
  }

  /** Sets the representation type unless it is already set (TYPE I / TYPE A, RFC 959 §3.1.1). */
  async setType(type: "A" | "I", signal: AbortSignal | undefined): Promise<void> {
    if (this.type === type) return;
    await this.expect("TYPE", type, signal);
    this.type = type;
  }

  /** Asks the server for its current directory and remembers it. */
  async refreshCwd(signal: AbortSignal | undefined): Promise<string> {
    const result = await this.expect("PWD", undefined, signal);
    this.cwd = parseQuotedPathname(replyMessage(result.reply));
    return this.cwd;
  }
}

/** @throws FtpError unless the outcome is accepted. */
export function check(result: CommandResult, accept: readonly ReplyOutcome[] = ["success"]): CommandResult {
  if (accept.includes(result.outcome)) return result;
  throw new FtpError(result.reply, redactCommand(result.command));
}

/**
 * Connects (FTPS: TLS first, implicit or with AUTH TLS), logs in (USER, PASS, ACCT as the
 * server asks: RFC 959 §5.4), sets the data protection (FTPS: PBSZ 0 and PROT P or C), reads
 * FEAT, turns on UTF-8 when offered (RFC 2640 §3.1; a refusal is ignored: pure-ftpd answers
 * 504, pyftpdlib 501, and both serve UTF-8 names anyway), and reads the current directory.
 * With `cwd` (a reconnect), changes back to it.
 */
export async function openConnection(
  options: ResolvedOptions,
  signal: AbortSignal | undefined,
  cwd?: string,
  hints?: ServerHints,
): Promise<Connection> {
  const { connection: control } = await ControlConnection.open(options, signal);
  const connection = new Connection(control, options, hints);
  try {
    if (options.secure === "explicit") await control.startTls(signal);
    await login(connection, signal);
    if (options.secure !== false) await protectData(connection, signal);
    const feat = await control.request("FEAT", undefined, signal);
    connection.features = parseFeatReply(feat.reply);
    if (connection.features.has("UTF8")) await control.request("OPTS", "UTF8 ON", signal);
    if (cwd !== undefined) {
      await connection.expect("CWD", cwd, signal);
      connection.cwd = cwd;
    } else {
      await connection.refreshCwd(signal);
    }
    return connection;
  } catch (error) {
    control.destroy(error);
    throw error;
  }
}

async function login(connection: Connection, signal: AbortSignal | undefined): Promise<void> {
  const { user, password, account } = connection.options;
  let result = await connection.expect("USER", user, signal, ["success", "intermediate"]);
  if (result.outcome === "intermediate") {
    result = await connection.expect("PASS", password, signal, ["success", "intermediate"]);
  }
  if (result.outcome === "intermediate") {
    // PASS answered 332, "Need account for login" (RFC 959 §5.4).
    if (account === undefined) throw new FtpError(result.reply, redactCommand(result.command));
    await connection.expect("ACCT", account, signal);
  }
}

/**
 * RFC 4217 (RFC 2228's PBSZ and PROT): PBSZ 0, then PROT P (or C). PBSZ's reply is not checked: a server that
 * needs it refuses PROT without it, and PROT's reply decides.
 * @throws FtpTlsError `FTP_ERR_TLS_REFUSED` when PROT is refused: the client does not
 *   silently move files in the clear when protection was asked for (nor the other way round).
 *   Implicit FTPS is the exception for PROT P, which is its default anyway.
 */
async function protectData(connection: Connection, signal: AbortSignal | undefined): Promise<void> {
  const level = connection.options.dataProtection;
  await connection.control.request("PBSZ", "0", signal);
  const result = await connection.control.request("PROT", level === "private" ? "P" : "C", signal);
  // Implicit FTPS starts with PROT P in effect (MS-FTPS §3.2.5.1, which even tells clients
  // not to send it): a server that refuses the redundant PROT P still protects the data.
  const implicitDefault = connection.options.secure === "implicit" && level === "private";
  if (result.outcome !== "success" && !implicitDefault) {
    const command = redactCommand(result.command);
    throw new FtpTlsError(
      "FTP_ERR_TLS_REFUSED",
      `the server refused ${level} data connections: ${result.reply.code} ${replyMessage(result.reply)}`,
      {
        tlsCode: String(result.reply.code),
        connection: "control",
        command,
        cause: new FtpError(result.reply, command),
      },
    );
  }
  connection.protection = level;
}
