import { LocalProtocolError, RemoteProtocolError } from "../errors/index.js";

/**
 * RFC 959 Appendix II: the 257 reply to PWD and MKD quotes the pathname, and "if the
 * directory name contains any double quote characters, each such character should be
 * doubled" (`257 "/a ""b"" c" is the current directory`).
 *
 * @throws LocalProtocolError when the pathname contains CR, LF or NUL.
 */
export function quotePathname(path: string): string {
  if (/[\r\n\0]/.test(path))
    throw new LocalProtocolError("pathname contains CR, LF or NUL", { code: "FTP_ERR_REPLY_TEXT" });
  return `"${path.replaceAll('"', '""')}"`;
}

/**
 * Extracts the pathname from a 257 reply text (the part after the code), undoing the
 * doubled quotes. Tolerates servers that do not double quotes when the result is still
 * unambiguous (the last `"` on the line ends the name).
 *
 * @throws RemoteProtocolError when there is no quoted pathname.
 */
export function parseQuotedPathname(text: string): string {
  const start = text.indexOf('"');
  if (start === -1)
    throw new RemoteProtocolError(`no quoted pathname in ${JSON.stringify(text)}`, { code: "FTP_ERR_BAD_REPLY" });
  let out = "";
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch !== '"') {
      out += ch;
      continue;
    }
    if (text[i + 1] === '"') {
      out += '"';
      i++;
      continue;
    }
    // A lone quote ends the name unless another quote follows later on the line
    // (a server that forgot to double an embedded quote).
    if (text.indexOf('"', i + 1) === -1) return out;
    out += '"';
  }
  throw new RemoteProtocolError(`unterminated quoted pathname in ${JSON.stringify(text)}`, {
    code: "FTP_ERR_BAD_REPLY",
  });
}
