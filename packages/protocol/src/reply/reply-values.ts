import { RemoteProtocolError } from "../errors/index.js";
import { parseMlsxTime } from "../listing/index.js";
import type { Reply } from "./reply.js";

/**
 * Parses a FEAT reply (RFC 2389 §3.2): the lines between the first and the last, each
 * starting with a space, hold a feature name and optional parameters.
 *
 * @returns a map from upper-cased feature name to its parameters ("" when none); empty for
 *   a negative reply (the server has no FEAT).
 */
export function parseFeatReply(reply: Reply): Map<string, string> {
  const features = new Map<string, string>();
  if (reply.code !== 211) return features;
  const lines = reply.lines.length > 2 ? reply.lines.slice(1, -1) : [];
  for (const raw of lines) {
    // Some servers (seen with IIS) prefix each line with "211-"; strip it.
    const line = raw.replace(/^211-/, "").trim();
    if (line === "") continue;
    const space = line.indexOf(" ");
    const name = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    const params = space === -1 ? "" : line.slice(space + 1).trim();
    features.set(name, params);
  }
  return features;
}

/**
 * The size from a 213 reply to SIZE (RFC 3659 §4.2: `213 <SP> size`).
 * @throws RemoteProtocolError when the text is not a decimal number.
 */
export function parseSizeReply(reply: Reply): number {
  const text = (reply.lines[reply.lines.length - 1] ?? "").trim();
  if (reply.code !== 213 || !/^\d{1,16}$/.test(text)) {
    throw new RemoteProtocolError(`not a SIZE reply: ${reply.code} ${text.slice(0, 80)}`, {
      code: "FTP_ERR_BAD_REPLY",
    });
  }
  return Number(text);
}

/**
 * The time from a 213 reply to MDTM (RFC 3659 §3.2: `213 <SP> time-val`, UTC).
 * @throws RemoteProtocolError when the text is not a time-val.
 */
export function parseMdtmReply(reply: Reply): Date {
  const text = (reply.lines[reply.lines.length - 1] ?? "").trim();
  try {
    if (reply.code !== 213) throw new Error("code");
    return parseMlsxTime(text.split(" ")[0] ?? "");
  } catch (cause) {
    throw new RemoteProtocolError(`not an MDTM reply: ${reply.code} ${text.slice(0, 80)}`, {
      code: "FTP_ERR_BAD_REPLY",
      cause,
    });
  }
}
