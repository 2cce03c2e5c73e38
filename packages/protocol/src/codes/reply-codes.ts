/**
 * The reply-code table. RFC 959 §4.2: "The first digit denotes whether the response is
 * good, bad or incomplete"; "the second digit encodes responses in specific categories".
 * Every code defined by RFC 959, 2228, 2389, 2428, 2640, 3659, 4217, 7151 and the HASH
 * draft is listed with its meaning and the RFC that defines it.
 */

/** RFC 959 §4.2.1, first digit. */
export type ReplyClass = "preliminary" | "completion" | "intermediate" | "transient" | "permanent" | "protected";

/** RFC 959 §4.2.1, second digit (x0z..x5z). */
export type ReplyGroup = "syntax" | "information" | "connections" | "authentication" | "unspecified" | "file-system";

export interface ReplyCodeInfo {
  readonly code: number;
  readonly meaning: string;
  readonly rfc: string;
}

const TABLE: ReadonlyArray<readonly [number, string, string]> = [
  [110, "Restart marker reply.", "959"],
  [120, "Service ready in nnn minutes.", "959"],
  [125, "Data connection already open; transfer starting.", "959"],
  [150, "File status okay; about to open data connection.", "959"],
  [200, "Command okay.", "959"],
  [202, "Command not implemented, superfluous at this site.", "959"],
  [211, "System status, or system help reply.", "959"],
  [212, "Directory status.", "959"],
  [213, "File status.", "959"],
  [214, "Help message.", "959"],
  [215, "NAME system type.", "959"],
  [220, "Service ready for new user.", "959"],
  [221, "Service closing control connection.", "959"],
  [225, "Data connection open; no transfer in progress.", "959"],
  [226, "Closing data connection. Requested file action successful.", "959"],
  [227, "Entering Passive Mode (h1,h2,h3,h4,p1,p2).", "959"],
  [228, "Entering Long Passive Mode.", "1639"],
  [229, "Entering Extended Passive Mode (|||port|).", "2428"],
  [230, "User logged in, proceed.", "959"],
  [232, "User logged in, authorized by security data exchange.", "2228"],
  [234, "Security data exchange complete (AUTH accepted).", "2228"],
  [235, "Security data exchange completed successfully.", "2228"],
  [250, "Requested file action okay, completed.", "959"],
  [257, '"PATHNAME" created.', "959"],
  [331, "User name okay, need password.", "959"],
  [332, "Need account for login.", "959"],
  [334, "Requested security mechanism is ok; security data needed.", "2228"],
  [335, "Security data is acceptable; more is required.", "2228"],
  [336, "Username okay, need password. Challenge is ...", "2228"],
  [350, "Requested file action pending further information.", "959"],
  [421, "Service not available, closing control connection.", "959"],
  [425, "Can't open data connection.", "959"],
  [426, "Connection closed; transfer aborted.", "959"],
  [430, "Invalid username or password.", "7151"],
  [431, "Need some unavailable resource to process security.", "2228"],
  [434, "Requested host unavailable.", "7151"],
  [450, "Requested file action not taken (file unavailable).", "959"],
  [451, "Requested action aborted: local error in processing.", "959"],
  [452, "Requested action not taken. Insufficient storage space in system.", "959"],
  [500, "Syntax error, command unrecognized.", "959"],
  [501, "Syntax error in parameters or arguments.", "959"],
  [502, "Command not implemented.", "959"],
  [503, "Bad sequence of commands.", "959"],
  [504, "Command not implemented for that parameter.", "959"],
  [521, "Data connection cannot be opened with this PROT setting.", "4217"],
  // RFC 2428 defines 522 for EPRT/EPSV; FTPS servers (vsftpd, and ftpkit) also answer a
  // transfer command with 522 when the data connection's TLS negotiation was refused (RFC 4217 §10.2).
  [522, "Network protocol not supported (use EPRT/EPSV with a supported family).", "2428"],
  [530, "Not logged in.", "959"],
  [532, "Need account for storing files.", "959"],
  [533, "Command protection level denied for policy reasons.", "2228"],
  [534, "Request denied for policy reasons.", "2228"],
  [535, "Failed security check (hash, sequence, etc).", "2228"],
  [536, "Requested PROT level not supported by mechanism.", "2228"],
  [537, "Command protection level not supported by security mechanism.", "2228"],
  [550, "Requested action not taken. File unavailable (not found, no access).", "959"],
  [551, "Requested action aborted: page type unknown.", "959"],
  [552, "Requested file action aborted. Exceeded storage allocation.", "959"],
  [553, "Requested action not taken. File name not allowed.", "959"],
  [554, "Requested action not taken: invalid REST parameter.", "3659"],
  [555, "Requested action not taken: type or stru mismatch.", "3659"],
  [556, "Requested action not taken: hash algorithm or range not supported.", "draft-bryan-ftpext-hash"],
  [631, "Integrity protected reply.", "2228"],
  [632, "Confidentiality and integrity protected reply.", "2228"],
  [633, "Confidentiality protected reply.", "2228"],
];

/** Every known reply code, keyed by number. */
export const REPLY_CODES: ReadonlyMap<number, ReplyCodeInfo> = new Map(
  TABLE.map(([code, meaning, rfc]) => [code, Object.freeze({ code, meaning, rfc })]),
);

const CLASSES: Readonly<Record<string, ReplyClass>> = {
  "1": "preliminary",
  "2": "completion",
  "3": "intermediate",
  "4": "transient",
  "5": "permanent",
  "6": "protected",
};

const GROUPS: Readonly<Record<string, ReplyGroup>> = {
  "0": "syntax",
  "1": "information",
  "2": "connections",
  "3": "authentication",
  "4": "unspecified",
  "5": "file-system",
};

/** True for a three-digit code whose digits are in the ranges RFC 959 §4.2 allows (1-6, 0-5, 0-9). */
export function isValidReplyCode(code: number): boolean {
  return Number.isInteger(code) && code >= 100 && code <= 659 && Math.floor(code / 10) % 10 <= 5;
}

/**
 * The class of a reply (RFC 959 §4.2.1 first digit; 6yz is RFC 2228's protected reply).
 * @throws RangeError for a number that is not a valid reply code.
 */
export function replyClass(code: number): ReplyClass {
  const cls = isValidReplyCode(code) ? CLASSES[String(code)[0] ?? ""] : undefined;
  if (cls === undefined) throw new RangeError(`not an FTP reply code: ${code}`);
  return cls;
}

/**
 * The functional group of a reply (RFC 959 §4.2.1 second digit).
 * @throws RangeError for a number that is not a valid reply code.
 */
export function replyGroup(code: number): ReplyGroup {
  const group = isValidReplyCode(code) ? GROUPS[String(code)[1] ?? ""] : undefined;
  if (group === undefined) throw new RangeError(`not an FTP reply code: ${code}`);
  return group;
}

/** Positive preliminary, completion or intermediate (1yz, 2yz, 3yz). */
export function isPositiveReply(code: number): boolean {
  return code >= 100 && code < 400;
}

/** Transient (4yz) or permanent (5yz) negative completion. */
export function isNegativeReply(code: number): boolean {
  return code >= 400 && code < 600;
}

/**
 * What a reply code means, for people: the table entry, or for an unlisted code a
 * description built from its class and group.
 */
export function describeReplyCode(
  code: number,
): ReplyCodeInfo & { class: ReplyClass; group: ReplyGroup; known: boolean } {
  const cls = replyClass(code);
  const group = replyGroup(code);
  const known = REPLY_CODES.get(code);
  if (known) return { ...known, class: cls, group, known: true };
  return { code, meaning: `Unlisted ${cls} reply about ${group}.`, rfc: "959", class: cls, group, known: false };
}
