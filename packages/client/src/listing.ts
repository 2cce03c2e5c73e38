/**
 * Directory listings: MLSD (RFC 3659 §7) when the server's FEAT offers MLST, LIST
 * otherwise, parsed by the protocol package (Unix, DOS/IIS, EPLF, NetWare, MLSx). Every
 * entry keeps its raw line; `.` and `..` never appear.
 */
import {
  buildCommand,
  concatBytes,
  decodeUtf8OrLatin1,
  type FileInfo,
  parseListing,
  parseMlsdListing,
} from "@ftpkit/protocol";
import { FtpError } from "./errors/ftp-error.js";
import { receive } from "./transfer/receive.js";
import type { Connection } from "./transport/connection.js";

/** Lists a directory (or the current one) on one connection. */
export async function listDirectory(
  connection: Connection,
  path: string | undefined,
  signal: AbortSignal | undefined,
): Promise<FileInfo[]> {
  const argument = path === undefined || path === "" ? undefined : path;
  // CR, LF and NUL are refused here, before anything is sent.
  buildCommand("MLSD", argument);
  if (connection.options.mlsd && connection.features.has("MLST")) {
    // MLSD takes a literal pathname: no options, no globbing (RFC 3659 §7.1).
    return parseMlsdListing(await collect(connection, "MLSD", argument, signal));
  }
  return parseListing(await listText(connection, argument, signal), { now: new Date() });
}

/**
 * LIST is `ls` on most servers: vsftpd, pure-ftpd and ProFTPD read options and glob patterns
 * from its argument, and hide dot files without `-a`. So a directory is listed by changing
 * into it and sending `LIST -a` there (plain `LIST` when `-a` is refused); a name with a
 * leading `-`, spaces or `*` is never handed to `ls`. When the path is not a directory (CWD
 * fails), it is listed as given.
 */
async function listText(connection: Connection, path: string | undefined, signal: AbortSignal | undefined) {
  if (path === undefined) return listHere(connection, signal);
  const cwd = await connection.control.request("CWD", path, signal);
  if (cwd.outcome !== "success") return collect(connection, "LIST", path, signal);
  try {
    return await listHere(connection, signal);
  } finally {
    if (connection.usable) await connection.expect("CWD", connection.cwd, signal);
  }
}

async function listHere(connection: Connection, signal: AbortSignal | undefined): Promise<string> {
  if (connection.hints.listAll) {
    try {
      return await collect(connection, "LIST", "-a", signal);
    } catch (error) {
      if (!(FtpError.isInstance(error) && error.code >= 500)) throw error;
      connection.hints.listAll = false;
    }
  }
  return collect(connection, "LIST", undefined, signal);
}

async function collect(
  connection: Connection,
  verb: "LIST" | "MLSD",
  argument: string | undefined,
  signal: AbortSignal | undefined,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  await receive(connection, {
    verb,
    argument,
    signal,
    consumer: {
      data(chunk, owned) {
        // Copy a borrowed chunk: it is a Buffer view of the reused read buffer, and
        // Buffer#slice (unlike Uint8Array#slice) would not copy it.
        chunks.push(owned ? chunk : Uint8Array.prototype.slice.call(chunk));
        return true;
      },
    },
  });
  return decodeUtf8OrLatin1(concatBytes(chunks));
}
