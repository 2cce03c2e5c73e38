import type { z } from "zod";
import * as g from "./grammar.js";

/**
 * The command table: every verb ftpkit understands, with its argument grammar and the
 * metadata a server drives from. Verbs keep their wire spelling.
 *
 * Sources: RFC 959 §4.1 and §5.3 (base set), RFC 2228 §3 (AUTH PBSZ PROT CCC), RFC 2389
 * (FEAT OPTS), RFC 2428 (EPRT EPSV), RFC 2640 (LANG), RFC 3659 (MDTM SIZE MLST MLSD and
 * REST in stream mode), RFC 7151 (HOST), draft-somers-ftp-mfxx (MFMT),
 * draft-bryan-ftpext-hash (HASH), and RFC 1123 §4.1.3.1 / RFC 775 (the X* aliases).
 */

/** An account permission a command needs (checked by the server before it acts). */
export type Permission = "list" | "read" | "write" | "append" | "delete" | "rename" | "mkdir" | "rmdir" | "chmod";

export interface CommandSpec {
  /** The RFC or draft that defines the verb. */
  readonly rfc: string;
  /** Syntax as shown by HELP. */
  readonly syntax: string;
  /** The argument grammar; its input is the argument text, or undefined when there was none. */
  readonly schema: z.ZodType<unknown, string | undefined>;
  /** Refused with 530 before login. */
  readonly needsLogin: boolean;
  /** The argument names a file or directory (resolved against the working directory). */
  readonly takesPath: boolean;
  /** Accepted on a clear-text control connection even when the server requires TLS first. */
  readonly allowedBeforeSecure: boolean;
  /** Accepted while a transfer is running (RFC 959 §4.1.3: ABOR, STAT and QUIT). */
  readonly allowedDuringTransfer: boolean;
  /** Opens a data connection (RFC 959 §5.4 "File action commands" with a 1yz preliminary). */
  readonly usesDataConnection: boolean;
  /** The permission needed, if any. */
  readonly permission?: Permission;
  /** The verb this one is an old alias of (RFC 1123 §4.1.3.1: XCWD = CWD ...). */
  readonly aliasOf?: string;
}

function spec<S extends CommandSpec["schema"]>(
  s: Partial<Omit<CommandSpec, "schema">> & Pick<CommandSpec, "rfc" | "syntax"> & { schema: S },
): CommandSpec & { readonly schema: S } {
  return Object.freeze({
    needsLogin: true,
    takesPath: false,
    allowedBeforeSecure: false,
    allowedDuringTransfer: false,
    usesDataConnection: false,
    ...s,
  });
}

const pre = { needsLogin: false } as const;
const clear = { needsLogin: false, allowedBeforeSecure: true } as const;

export const COMMANDS = {
  // RFC 959 §4.1.1 access control commands
  USER: spec({ rfc: "959", syntax: "USER <sp> username", schema: g.requiredText, ...pre }),
  PASS: spec({
    rfc: "959",
    syntax: "PASS <sp> password",
    schema: g.anyText.optional().transform((t) => t ?? ""),
    ...pre,
  }),
  ACCT: spec({ rfc: "959", syntax: "ACCT <sp> account-information", schema: g.requiredText, ...pre }),
  CWD: spec({ rfc: "959", syntax: "CWD <sp> pathname", schema: g.pathname, takesPath: true }),
  XCWD: spec({ rfc: "775", syntax: "XCWD <sp> pathname", schema: g.pathname, takesPath: true, aliasOf: "CWD" }),
  CDUP: spec({ rfc: "959", syntax: "CDUP", schema: g.noArgument }),
  XCUP: spec({ rfc: "775", syntax: "XCUP", schema: g.noArgument, aliasOf: "CDUP" }),
  SMNT: spec({ rfc: "959", syntax: "SMNT <sp> pathname", schema: g.pathname, takesPath: true }),
  REIN: spec({ rfc: "959", syntax: "REIN", schema: g.noArgument, ...pre }),
  QUIT: spec({ rfc: "959", syntax: "QUIT", schema: g.noArgument, ...clear, allowedDuringTransfer: true }),
  // RFC 959 §4.1.2 transfer parameter commands
  PORT: spec({ rfc: "959", syntax: "PORT <sp> h1,h2,h3,h4,p1,p2", schema: g.hostPort }),
  PASV: spec({ rfc: "959", syntax: "PASV", schema: g.noArgument }),
  TYPE: spec({ rfc: "959", syntax: "TYPE <sp> type-code (A, A N, I, L 8)", schema: g.representationType }),
  STRU: spec({ rfc: "959", syntax: "STRU <sp> structure-code (F)", schema: g.fileStructure }),
  MODE: spec({ rfc: "959", syntax: "MODE <sp> mode-code (S)", schema: g.transferMode }),
  // RFC 959 §4.1.3 service commands
  RETR: spec({
    rfc: "959",
    syntax: "RETR <sp> pathname",
    schema: g.pathname,
    takesPath: true,
    usesDataConnection: true,
    permission: "read",
  }),
  STOR: spec({
    rfc: "959",
    syntax: "STOR <sp> pathname",
    schema: g.pathname,
    takesPath: true,
    usesDataConnection: true,
    permission: "write",
  }),
  STOU: spec({
    rfc: "959",
    syntax: "STOU [<sp> pathname]",
    schema: g.optionalPathname,
    takesPath: true,
    usesDataConnection: true,
    permission: "write",
  }),
  APPE: spec({
    rfc: "959",
    syntax: "APPE <sp> pathname",
    schema: g.pathname,
    takesPath: true,
    usesDataConnection: true,
    permission: "append",
  }),
  ALLO: spec({ rfc: "959", syntax: "ALLO <sp> decimal-integer [<sp> R <sp> decimal-integer]", schema: g.allocation }),
  REST: spec({ rfc: "3659", syntax: "REST <sp> byte-offset", schema: g.restOffset }),
  RNFR: spec({ rfc: "959", syntax: "RNFR <sp> pathname", schema: g.pathname, takesPath: true, permission: "rename" }),
  RNTO: spec({ rfc: "959", syntax: "RNTO <sp> pathname", schema: g.pathname, takesPath: true, permission: "rename" }),
  ABOR: spec({ rfc: "959", syntax: "ABOR", schema: g.noArgument, allowedDuringTransfer: true }),
  DELE: spec({ rfc: "959", syntax: "DELE <sp> pathname", schema: g.pathname, takesPath: true, permission: "delete" }),
  RMD: spec({ rfc: "959", syntax: "RMD <sp> pathname", schema: g.pathname, takesPath: true, permission: "rmdir" }),
  XRMD: spec({
    rfc: "775",
    syntax: "XRMD <sp> pathname",
    schema: g.pathname,
    takesPath: true,
    permission: "rmdir",
    aliasOf: "RMD",
  }),
  MKD: spec({ rfc: "959", syntax: "MKD <sp> pathname", schema: g.pathname, takesPath: true, permission: "mkdir" }),
  XMKD: spec({
    rfc: "775",
    syntax: "XMKD <sp> pathname",
    schema: g.pathname,
    takesPath: true,
    permission: "mkdir",
    aliasOf: "MKD",
  }),
  PWD: spec({ rfc: "959", syntax: "PWD", schema: g.noArgument }),
  XPWD: spec({ rfc: "775", syntax: "XPWD", schema: g.noArgument, aliasOf: "PWD" }),
  LIST: spec({
    rfc: "959",
    syntax: "LIST [<sp> pathname]",
    schema: g.listArgument,
    takesPath: true,
    usesDataConnection: true,
    permission: "list",
  }),
  NLST: spec({
    rfc: "959",
    syntax: "NLST [<sp> pathname]",
    schema: g.listArgument,
    takesPath: true,
    usesDataConnection: true,
    permission: "list",
  }),
  SITE: spec({ rfc: "959", syntax: "SITE <sp> string (HELP, CHMOD mode path)", schema: g.siteArgument }),
  SYST: spec({ rfc: "959", syntax: "SYST", schema: g.noArgument, ...clear }),
  STAT: spec({
    rfc: "959",
    syntax: "STAT [<sp> pathname]",
    schema: g.listArgument,
    takesPath: true,
    allowedDuringTransfer: true,
    permission: "list",
  }),
  HELP: spec({ rfc: "959", syntax: "HELP [<sp> command]", schema: g.helpTopic, ...clear }),
  NOOP: spec({ rfc: "959", syntax: "NOOP", schema: g.noArgument, ...clear }),
  // RFC 2228 security extensions, as profiled for TLS by RFC 4217
  AUTH: spec({ rfc: "2228", syntax: "AUTH <sp> mechanism (TLS)", schema: g.securityMechanism, ...clear }),
  PBSZ: spec({ rfc: "2228", syntax: "PBSZ <sp> 0", schema: g.protectionBufferSize, ...pre }),
  PROT: spec({ rfc: "2228", syntax: "PROT <sp> C|P", schema: g.protectionLevel, ...pre }),
  CCC: spec({ rfc: "2228", syntax: "CCC", schema: g.noArgument }),
  // RFC 2389 feature negotiation
  FEAT: spec({ rfc: "2389", syntax: "FEAT", schema: g.noArgument, ...clear }),
  OPTS: spec({ rfc: "2389", syntax: "OPTS <sp> command [<sp> options]", schema: g.optionsArgument, ...pre }),
  // RFC 2428 extensions for IPv6 and NATs
  EPRT: spec({ rfc: "2428", syntax: "EPRT <sp> |af|address|port|", schema: g.extendedAddress }),
  EPSV: spec({ rfc: "2428", syntax: "EPSV [<sp> 1|2|ALL]", schema: g.epsvArgument }),
  // RFC 2640 internationalization
  LANG: spec({ rfc: "2640", syntax: "LANG [<sp> language-tag]", schema: g.languageTag, ...clear }),
  // RFC 3659 extensions
  MDTM: spec({ rfc: "3659", syntax: "MDTM <sp> pathname", schema: g.pathname, takesPath: true, permission: "read" }),
  SIZE: spec({ rfc: "3659", syntax: "SIZE <sp> pathname", schema: g.pathname, takesPath: true, permission: "read" }),
  MLST: spec({
    rfc: "3659",
    syntax: "MLST [<sp> pathname]",
    schema: g.optionalPathname,
    takesPath: true,
    permission: "list",
  }),
  MLSD: spec({
    rfc: "3659",
    syntax: "MLSD [<sp> pathname]",
    schema: g.optionalPathname,
    takesPath: true,
    usesDataConnection: true,
    permission: "list",
  }),
  // RFC 7151 virtual hosts
  HOST: spec({ rfc: "7151", syntax: "HOST <sp> hostname", schema: g.hostName, ...clear }),
  // Common extensions
  MFMT: spec({
    rfc: "draft-somers-ftp-mfxx",
    syntax: "MFMT <sp> YYYYMMDDHHMMSS <sp> pathname",
    schema: g.timeAndPath,
    takesPath: true,
    permission: "write",
  }),
  HASH: spec({
    rfc: "draft-bryan-ftpext-hash",
    syntax: "HASH <sp> pathname",
    schema: g.pathname,
    takesPath: true,
    permission: "read",
  }),
} as const satisfies Record<string, CommandSpec>;

/** Every verb, spelled as on the wire. */
export type Verb = keyof typeof COMMANDS;

/** The typed argument value of a verb. */
export type CommandValue<V extends Verb> = z.output<(typeof COMMANDS)[V]["schema"]>;

/** True for a verb in the table (case-sensitive: pass the upper-cased word). */
export function isVerb(word: string): word is Verb {
  return Object.hasOwn(COMMANDS, word);
}

/** The canonical verb for an alias (XMKD -> MKD), or the verb itself. */
export function canonicalVerb(verb: Verb): Verb {
  const alias = (COMMANDS[verb] as CommandSpec).aliasOf;
  return alias !== undefined && isVerb(alias) ? alias : verb;
}

/** All verbs, in table order. */
export const VERBS: readonly Verb[] = Object.freeze(Object.keys(COMMANDS) as Verb[]);
