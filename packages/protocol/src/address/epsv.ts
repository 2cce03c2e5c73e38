/**
 * EPSV (RFC 2428 §3): the command argument and the text of its `229` reply.
 *
 * RFC 2428 §3: "The EPSV command requests that a server listen on a data port and wait for
 * a connection. The EPSV command takes an optional argument. The response to this command
 * includes only the TCP port number of the listening connection. The format of the
 * response, however, is similar to the argument of the EPRT command. ... The text returned
 * in response to the EPSV command MUST be:
 * `<text indicating server is entering extended passive mode> (<d><d><d><tcp-port><d>)`
 * The portion of the string enclosed in parentheses MUST be the exact string needed by the
 * EPRT command to open the data connection, as specified above."
 */

import { type ParseResult, safeParse } from "../errors/index.js";
import { ADDRESS_ERROR_CODES, addressError, assertPort, parseDecimal, quote, trimSpaceTab } from "./address-errors.js";

/**
 * The meaning of an EPSV argument (RFC 2428 §3):
 * - `any`: bare `EPSV`: listen on the same protocol as the control connection;
 * - `all`: `EPSV ALL`: the client will use EPSV only; from now on the server refuses
 *   PORT, PASV, EPRT and LPRT/LPSV ("the server MUST reject all data connection setup
 *   commands other than EPSV");
 * - `family`: `EPSV 1` (IPv4) or `EPSV 2` (IPv6), address family numbers from the IANA
 *   registry as in EPRT.
 */
export type EpsvArgument =
  | { readonly kind: "any" }
  | { readonly kind: "all" }
  | { readonly kind: "family"; readonly family: 1 | 2 };

/**
 * A delimited port anywhere in the text: three equal delimiters, the digits, the same
 * delimiter. The delimiter is any printable ASCII character 33..126 except a digit (a digit
 * delimiter would make the port ambiguous). With parentheses first, then without.
 */
const IN_PARENS = /\(([!-/:-~])\1\1([0-9]+)\1\)/;
const BARE = /([!-/:-~])\1\1([0-9]+)\1/;

/**
 * Formats the text of a 229 reply (without the code), with the recommended `|` delimiter.
 *
 * @param port - An integer 1..65535.
 * @returns `"Entering Extended Passive Mode (|||port|)"` (RFC 2428 §3, as vsftpd and proftpd send it).
 * @throws {LocalProtocolError} `replyHint` 501, code `FTP_ERR_BAD_PORT`, for any other port.
 */
export function formatEpsvReplyText(port: number): string {
  assertPort(port, 1, "EPSV");
  return `Entering Extended Passive Mode (|||${port}|)`;
}

/**
 * Finds the port in a 229 reply. Tolerant about the text: the group may sit in parentheses
 * (RFC 2428 §3) or not, anywhere in the reply; the delimiter may be any ASCII 33..126
 * character other than a digit, used four times consistently. IBM i (OS/400) sends `!`
 * instead of `|` (patrickjuchli/basic-ftp `parseEpsvResponse`). A parenthesised group wins
 * over a bare one. The net-prt and net-addr fields must be empty, as RFC 2428 §3 requires:
 * the data connection goes to the control connection's host.
 *
 * @param text - The reply text, with or without the `229 ` code.
 * @returns The port, an integer 1..65535.
 * @throws {LocalProtocolError} `replyHint` 501, code `FTP_ERR_EPSV_REPLY` when no group is
 *   found, `FTP_ERR_BAD_PORT` when the port is 0 or above 65535. A client reading the
 *   peer's reply re-raises it as a `RemoteProtocolError`.
 */
export function parseEpsvReply(text: string): number {
  const match = IN_PARENS.exec(text) ?? BARE.exec(text);
  const digits = match?.[2];
  if (match === null || digits === undefined) {
    throw addressError(
      `229 reply has no (<d><d><d>port<d>) group (RFC 2428 §3): ${quote(text)}`,
      ADDRESS_ERROR_CODES.epsvReply,
    );
  }
  const port = parseDecimal(digits);
  assertPort(port, 1, "EPSV reply");
  return port;
}

/**
 * Non-throwing twin of {@link parseEpsvReply} (STYLE E5).
 *
 * @returns `{ success: true, value }` or `{ success: false, error }`.
 */
export function safeParseEpsvReply(text: string): ParseResult<number> {
  return safeParse(() => parseEpsvReply(text));
}

/**
 * Parses the argument of the EPSV command (RFC 2428 §3): empty, `ALL` (any case, as vsftpd
 * and proftpd accept it), or a network protocol number. Spaces and tabs around it are
 * ignored. Leading zeros in the number are decimal (`01` is 1).
 *
 * @param argument - Everything after `EPSV` and its separating space; `""` or `undefined` when absent.
 * @returns The {@link EpsvArgument}.
 * @throws {LocalProtocolError} `replyHint` 501 with code
 *   - `FTP_ERR_EPSV_PROTO` for a number other than 1 or 2. The server MUST answer
 *     `522 Network protocol not supported, use (1,2)` instead (RFC 2428 §3 refers to the
 *     EPRT rule of §2): map this code to 522.
 *   - `FTP_ERR_EPSV_SYNTAX` for anything else (answer 501).
 */
export function parseEpsvArgument(argument: string | undefined): EpsvArgument {
  const text = trimSpaceTab(argument ?? "");
  if (text === "") return { kind: "any" };
  if (text.toUpperCase() === "ALL") return { kind: "all" };
  const value = parseDecimal(text);
  if (value === undefined) {
    throw addressError(
      `EPSV argument must be empty, ALL, 1 or 2 (RFC 2428 §3): ${quote(text)}`,
      ADDRESS_ERROR_CODES.epsvSyntax,
    );
  }
  if (value !== 1 && value !== 2) {
    throw addressError(`Network protocol not supported, use (1,2): ${quote(text)}`, ADDRESS_ERROR_CODES.epsvProtocol);
  }
  return { kind: "family", family: value };
}

/**
 * Non-throwing twin of {@link parseEpsvArgument} (STYLE E5).
 *
 * @returns `{ success: true, value }` or `{ success: false, error }`.
 */
export function safeParseEpsvArgument(argument: string | undefined): ParseResult<EpsvArgument> {
  return safeParse(() => parseEpsvArgument(argument));
}
