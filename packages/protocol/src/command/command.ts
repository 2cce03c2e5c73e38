import type { ParseResult } from "../errors/index.js";
import { LocalProtocolError, safeParse } from "../errors/index.js";
import { encodeUtf8 } from "../text/utf8.js";
import { COMMANDS, type CommandSpec, type CommandValue, isVerb, type Verb } from "./commands.js";
import { issueHint } from "./grammar.js";

/** A parsed command: the verb, its argument text exactly as sent, and the typed value. */
export type Command = {
  [V in Verb]: { readonly verb: V; readonly argument: string | undefined; readonly value: CommandValue<V> };
}[Verb];

/** The command of one verb. */
export type CommandOf<V extends Verb> = Extract<Command, { verb: V }>;

/** Longest verb echoed back in an error message. */
const MAX_ECHO = 40;

/**
 * Parses one control line (without its CRLF) into a typed command.
 *
 * RFC 959 §5.3: `<verb> [<SP> <argument>]`. Verbs are case-insensitive (§5.3: "The command
 * codes are ... upper or lower case"); the argument is everything after the first space,
 * byte for byte, so pathnames keep spaces and leading dashes.
 *
 * @returns the command; its `value` is the argument parsed by the verb's grammar.
 * @throws LocalProtocolError with `replyHint` 500 (empty line or unknown verb), 501 (bad
 *   argument) or 504 (a parameter the grammar knows is unsupported, e.g. `TYPE X`).
 */
export function parseCommand(line: string): Command {
  const space = line.indexOf(" ");
  const word = (space === -1 ? line : line.slice(0, space)).toUpperCase();
  const rawArgument = space === -1 ? undefined : line.slice(space + 1);
  if (word === "") throw new LocalProtocolError("empty command line", { replyHint: 500, code: "FTP_ERR_EMPTY" });
  if (!isVerb(word)) {
    // Echo only printable ASCII: the text goes back to the client inside a reply.
    const echo = word.slice(0, MAX_ECHO).replace(/[^\x21-\x7e]/g, "?");
    throw new LocalProtocolError(`'${echo}': command not understood`, {
      replyHint: 500,
      code: "FTP_ERR_UNKNOWN_COMMAND",
    });
  }
  if (rawArgument?.includes("\0")) {
    throw new LocalProtocolError("NUL is not allowed in an argument", { replyHint: 501, code: "FTP_ERR_NUL" });
  }
  return buildCommand(word, rawArgument === "" ? undefined : rawArgument);
}

/** {@link parseCommand} without throwing. */
export function safeParseCommand(line: string): ParseResult<Command> {
  return safeParse(() => parseCommand(line));
}

/**
 * Builds a validated command from a verb and its argument text (what a client sends).
 * @throws LocalProtocolError (501/504) when the argument does not fit the verb's grammar,
 *   or when it contains CR, LF or NUL (command injection).
 */
export function buildCommand<V extends Verb>(verb: V, argument?: string): CommandOf<V> {
  if (argument !== undefined) assertSafeArgument(argument);
  const spec: CommandSpec = COMMANDS[verb];
  const result = spec.schema.safeParse(argument);
  if (!result.success) {
    const issue = result.error.issues[0];
    const hint = issue ? issueHint(issue) : undefined;
    const message = issue?.message ?? "bad argument";
    throw new LocalProtocolError(`${verb}: ${message}`, {
      replyHint: hint?.replyHint ?? 501,
      code: hint?.code ?? "FTP_ERR_SYNTAX",
    });
  }
  return Object.freeze({ verb, argument, value: result.data }) as unknown as CommandOf<V>;
}

/**
 * A command line as text, without the line end: `VERB` or `VERB argument`.
 * @throws LocalProtocolError if the argument contains CR, LF or NUL.
 */
export function formatCommand(command: { verb: Verb; argument?: string | undefined }): string {
  if (command.argument === undefined) return command.verb;
  assertSafeArgument(command.argument);
  return `${command.verb} ${command.argument}`;
}

/**
 * The wire bytes of a command: UTF-8 (RFC 2640 §3.1), CRLF-terminated, with any 0xFF byte
 * doubled as Telnet requires (RFC 959 §4.1 refers to the Telnet protocol; IAC = 255).
 * @throws LocalProtocolError if the argument contains CR, LF or NUL.
 */
export function encodeCommand(command: { verb: Verb; argument?: string | undefined }): Uint8Array {
  const bytes = encodeUtf8(`${formatCommand(command)}\r\n`);
  return bytes.includes(0xff) ? doubleIac(bytes) : bytes;
}

/** The command as it may be logged: the PASS argument is masked. */
export function redactCommand(command: { verb: Verb; argument?: string | undefined }): string {
  if (command.verb === "PASS" && command.argument !== undefined) return "PASS ****";
  return formatCommand(command);
}

function assertSafeArgument(argument: string): void {
  // CR or LF would end the command early and smuggle a second one (command injection).
  if (/[\r\n\0]/.test(argument)) {
    throw new LocalProtocolError("CR, LF and NUL are not allowed in an argument", {
      replyHint: 501,
      code: "FTP_ERR_INJECTION",
    });
  }
}

function doubleIac(bytes: Uint8Array): Uint8Array {
  let count = 0;
  for (const b of bytes) if (b === 0xff) count++;
  const out = new Uint8Array(bytes.length + count);
  let j = 0;
  for (const b of bytes) {
    out[j++] = b;
    if (b === 0xff) out[j++] = 0xff;
  }
  return out;
}
