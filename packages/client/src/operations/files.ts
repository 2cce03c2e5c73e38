/**
 * Single-command operations: each is one RFC 959 / RFC 3659 exchange whose meaning the
 * protocol core decides (`outcome`); the reply values are read by the protocol's parsers.
 */
import {
  buildCommand,
  canonicalVerb,
  formatMfmtArgument,
  isTransferVerb,
  LocalProtocolError,
  parseCommand,
  parseMdtmReply,
  parseSizeReply,
  type Reply,
} from "@ftpkit/protocol";
import { type Connection, check } from "../transport/connection.js";

export async function changeDirectory(connection: Connection, path: string, signal?: AbortSignal): Promise<string> {
  await connection.expect("CWD", path, signal);
  return connection.refreshCwd(signal);
}

export async function removeFile(connection: Connection, path: string, signal?: AbortSignal): Promise<void> {
  await connection.expect("DELE", path, signal);
}

/** RNFR then RNTO (RFC 959 §4.1.3: RNFR's 350 asks for the RNTO). */
export async function renamePath(connection: Connection, from: string, to: string, signal?: AbortSignal) {
  // Both names are checked before RNFR goes out: a refused RNTO must not leave a pending RNFR.
  buildCommand("RNTO", to);
  await connection.expect("RNFR", from, signal, ["intermediate"]);
  await connection.expect("RNTO", to, signal);
}

/** SIZE (RFC 3659 §4) in TYPE I: the size in octets as stored ("SIZE in ASCII mode" is refused by some servers). */
export async function fileSize(connection: Connection, path: string, signal?: AbortSignal): Promise<number> {
  await connection.setType("I", signal);
  return parseSizeReply((await connection.expect("SIZE", path, signal)).reply);
}

/** SIZE, or undefined when the server cannot tell (no SIZE command, not a plain file). */
export async function trySize(connection: Connection, path: string, signal?: AbortSignal): Promise<number | undefined> {
  const result = await connection.control.request("SIZE", path, signal);
  if (result.outcome !== "success") return undefined;
  try {
    return parseSizeReply(result.reply);
  } catch {
    return undefined;
  }
}

/** MDTM (RFC 3659 §3): the modification time, UTC. */
export async function modificationTime(connection: Connection, path: string, signal?: AbortSignal): Promise<Date> {
  return parseMdtmReply((await connection.expect("MDTM", path, signal)).reply);
}

/**
 * MFMT (draft-somers-ftp-mfxx). vsftpd has no MFMT; it sets the time with the two-argument
 * `MDTM time path` instead (its `mdtm_write` option, on by default), tried when MFMT is
 * not implemented (500/502).
 */
export async function setModificationTime(connection: Connection, path: string, date: Date, signal?: AbortSignal) {
  const argument = formatMfmtArgument(date, path);
  const result = await connection.control.request("MFMT", argument, signal);
  if (result.outcome === "success") return;
  if (result.reply.code === 500 || result.reply.code === 502) {
    const fallback = await connection.control.request("MDTM", argument, signal);
    if (fallback.outcome === "success") return;
  }
  check(result);
}

/**
 * Sends a raw command line and returns the reply; a 4yz/5yz throws FtpError. The client's
 * own bookkeeping follows: CWD/CDUP refresh the directory, TYPE forgets the cached type.
 * @throws LocalProtocolError for an unknown verb, CR/LF/NUL, or a transfer command (those
 *   need a data connection: use download, upload or list).
 */
export async function sendRaw(connection: Connection, line: string, signal?: AbortSignal): Promise<Reply> {
  const command = parseCommand(line);
  const verb = canonicalVerb(command.verb);
  if (isTransferVerb(verb)) {
    throw new LocalProtocolError(`${verb} needs a data connection: use download, upload or list`, {
      code: "FTP_ERR_TRANSFER_COMMAND",
      replyHint: 503,
    });
  }
  const result = await connection.control.requestCommand(command, signal);
  if (result.outcome === "transient" || result.outcome === "permanent") check(result);
  if (verb === "TYPE") connection.type = undefined;
  if ((verb === "CWD" || verb === "CDUP") && result.outcome === "success") await connection.refreshCwd(signal);
  return result.reply;
}
