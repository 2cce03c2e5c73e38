import { canonicalVerb, type Verb } from "../command/index.js";

/**
 * RFC 959 §5.4 "Sequencing of commands and replies", as data, extended with the replies
 * the later RFCs define for their commands. For each command: which replies may come and
 * what each means to the client:
 *
 * - `preliminary` (1yz): another reply follows (transfer commands, REIN);
 * - `success` (2yz): done;
 * - `intermediate` (3yz): the command needs a follow-up (PASS after 331, RNTO after 350);
 * - `transient` (4yz) and `permanent` (5yz): failed, perhaps worth retrying / not.
 *
 * Codes any command may receive (RFC 959 §5.4 lists 421 and 500/501/502/530 for nearly
 * every command; 503 and 504 appear wherever a sequence or parameter can be wrong) are in
 * {@link ANY_COMMAND_REPLIES}.
 */
export interface ExpectedReplies {
  readonly preliminary: readonly number[];
  readonly success: readonly number[];
  readonly intermediate: readonly number[];
  readonly transient: readonly number[];
  readonly permanent: readonly number[];
}

export type ReplyOutcome = "preliminary" | "success" | "intermediate" | "transient" | "permanent";

/** Replies legal for every command: service closing (421) and the syntax/sequence/login errors. */
export const ANY_COMMAND_REPLIES: readonly number[] = Object.freeze([421, 500, 501, 502, 503, 504, 530]);

function expect(e: Partial<ExpectedReplies>): ExpectedReplies {
  return Object.freeze({
    preliminary: Object.freeze(e.preliminary ?? []),
    success: Object.freeze(e.success ?? []),
    intermediate: Object.freeze(e.intermediate ?? []),
    transient: Object.freeze(e.transient ?? []),
    permanent: Object.freeze(e.permanent ?? []),
  });
}

/** RFC 959 §5.4: RETR / LIST / NLST (and MLSD, RFC 3659 §7.2). */
const download = expect({
  preliminary: [110, 125, 150],
  success: [226, 250],
  transient: [425, 426, 450, 451],
  permanent: [550, 551, 552, 553, 554, 555, 521, 522, 534],
});

/** RFC 959 §5.4: STOR / STOU / APPE. */
const upload = expect({
  preliminary: [110, 125, 150],
  success: [226, 250],
  transient: [425, 426, 450, 451, 452],
  permanent: [532, 550, 551, 552, 553, 554, 555, 521, 522, 534],
});

const fileAction = expect({ success: [250], transient: [450], permanent: [550, 553] });

export const SEQUENCES: Readonly<Record<Verb, ExpectedReplies>> = Object.freeze({
  USER: expect({
    success: [230, 232],
    intermediate: [331, 332, 336],
    transient: [430, 434],
    permanent: [530, 532, 534],
  }),
  PASS: expect({ success: [230, 202], intermediate: [332], transient: [430], permanent: [530] }),
  ACCT: expect({ success: [230, 202], permanent: [530] }),
  CWD: expect({ success: [250, 200], permanent: [550] }),
  XCWD: expect({ success: [250, 200], permanent: [550] }),
  // RFC 959 §5.4 lists 200 for CDUP, most servers send 250 (RFC 959 §4.1.1 calls it a CWD).
  CDUP: expect({ success: [200, 250], permanent: [550] }),
  XCUP: expect({ success: [200, 250], permanent: [550] }),
  SMNT: expect({ success: [202, 250], permanent: [550] }),
  REIN: expect({ preliminary: [120], success: [220] }),
  QUIT: expect({ success: [221] }),
  PORT: expect({ success: [200], permanent: [522] }),
  PASV: expect({ success: [227], transient: [425] }),
  TYPE: expect({ success: [200] }),
  STRU: expect({ success: [200] }),
  MODE: expect({ success: [200] }),
  RETR: download,
  STOR: upload,
  STOU: upload,
  APPE: upload,
  ALLO: expect({ success: [200, 202] }),
  // RFC 3659 §5.4: REST answers 350 and the transfer command that follows uses the marker.
  REST: expect({ intermediate: [350], permanent: [554] }),
  RNFR: expect({ intermediate: [350], transient: [450], permanent: [550] }),
  RNTO: expect({ success: [250], permanent: [532, 553, 550] }),
  ABOR: expect({ success: [225, 226] }),
  DELE: fileAction,
  RMD: expect({ success: [250], permanent: [550] }),
  XRMD: expect({ success: [250], permanent: [550] }),
  MKD: expect({ success: [257], permanent: [550, 553] }),
  XMKD: expect({ success: [257], permanent: [550, 553] }),
  PWD: expect({ success: [257], permanent: [550] }),
  XPWD: expect({ success: [257], permanent: [550] }),
  LIST: download,
  NLST: download,
  SITE: expect({ success: [200, 202, 211, 214, 250], permanent: [550] }),
  SYST: expect({ success: [215] }),
  STAT: expect({ success: [211, 212, 213], transient: [450], permanent: [550] }),
  HELP: expect({ success: [211, 214] }),
  NOOP: expect({ success: [200] }),
  AUTH: expect({ success: [234], intermediate: [334], transient: [431], permanent: [534] }),
  PBSZ: expect({ success: [200] }),
  PROT: expect({ success: [200], transient: [431], permanent: [534, 536] }),
  CCC: expect({ success: [200], permanent: [533, 534] }),
  FEAT: expect({ success: [211] }),
  OPTS: expect({ success: [200], transient: [451] }),
  EPRT: expect({ success: [200], permanent: [522] }),
  EPSV: expect({ success: [229, 200], transient: [425], permanent: [522] }),
  LANG: expect({ success: [200] }),
  MDTM: expect({ success: [213], permanent: [550] }),
  SIZE: expect({ success: [213], permanent: [550] }),
  MLST: expect({ success: [250], permanent: [550] }),
  MLSD: download,
  HOST: expect({ success: [220], transient: [421], permanent: [504] }),
  MFMT: expect({ success: [213], permanent: [550] }),
  HASH: expect({ success: [213], transient: [450, 451], permanent: [550, 556] }),
});

/** True for a command that opens a data connection (a 1yz reply, then a final one). */
export function isTransferVerb(verb: Verb): boolean {
  return SEQUENCES[verb].preliminary.length > 0 && verb !== "REIN";
}

/** True when RFC 959 §5.4 (or the extension's RFC) allows this reply to this command. */
export function isReplyAllowed(verb: Verb, code: number): boolean {
  const e = SEQUENCES[canonicalVerb(verb)];
  return (
    ANY_COMMAND_REPLIES.includes(code) ||
    e.preliminary.includes(code) ||
    e.success.includes(code) ||
    e.intermediate.includes(code) ||
    e.transient.includes(code) ||
    e.permanent.includes(code)
  );
}

/**
 * What a reply means to the client that sent `verb`. The table decides where it lists
 * the code; otherwise the first digit does (RFC 959 §4.2.1), so a server's non-standard
 * but well-formed code is still understood.
 */
export function interpretReply(verb: Verb, code: number): ReplyOutcome {
  const e = SEQUENCES[canonicalVerb(verb)];
  if (e.preliminary.includes(code)) return "preliminary";
  if (e.success.includes(code)) return "success";
  if (e.intermediate.includes(code)) return "intermediate";
  if (e.transient.includes(code)) return "transient";
  if (e.permanent.includes(code)) return "permanent";
  switch (Math.floor(code / 100)) {
    case 1:
      return "preliminary";
    case 2:
      return "success";
    case 3:
      return "intermediate";
    case 4:
      return "transient";
    default:
      return "permanent";
  }
}
