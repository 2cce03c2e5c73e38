import { z } from "zod";
import { decodeEprtArgument, decodeHostPort, parseEpsvArgument } from "../address/index.js";
import { FtpProtocolError, type ReplyHint } from "../errors/index.js";
import { parseMlsxTime } from "../listing/index.js";

/**
 * Argument grammars, one zod schema per shape of argument. Each schema takes the raw
 * argument text (everything after the first space of the line, byte-exact: RFC 959 §5.3.1
 * "<SP> <pathname>") or `undefined` when the line had none, and yields a typed value.
 * A failure carries the reply to send in the issue's `params` (see {@link issueHint}).
 */

/** Metadata attached to a failed parse: the reply and the stable error code. */
export interface GrammarFailure {
  replyHint: ReplyHint;
  code: string;
}

function fail(
  ctx: z.RefinementCtx,
  message: string,
  replyHint: ReplyHint = 501,
  code = "FTP_ERR_SYNTAX",
): typeof z.NEVER {
  ctx.addIssue({ code: "custom", message, params: { replyHint, code } satisfies GrammarFailure });
  return z.NEVER;
}

/** Runs a throwing decoder inside a transform, keeping its reply hint and code. */
function decodeWith<T>(decode: (text: string) => T) {
  return (text: string, ctx: z.RefinementCtx): T => {
    try {
      return decode(text);
    } catch (error) {
      if (FtpProtocolError.isInstance(error)) return fail(ctx, error.message, error.replyHint, error.code);
      throw error;
    }
  };
}

/** No argument allowed (RFC 959 §5.3.1: `CDUP <CRLF>`, `PASV <CRLF>`, ...). */
export const noArgument = z.undefined({ error: "this command takes no argument" });

/** A pathname: any non-empty text, kept exactly (spaces and leading dashes included). */
export const pathname = z.string().min(1, { error: "a pathname is required" });

/** An optional pathname. */
export const optionalPathname = pathname.optional();

/** Free text, possibly empty (PASS with an empty password is legal for anonymous login). */
export const anyText = z.string();

/** A required, non-empty word. */
export const requiredText = z.string().min(1, { error: "an argument is required" });

/** Decimal digits only, as a safe non-negative integer (REST, ALLO, PBSZ). */
function decimal(max: number, what: string) {
  return z.string().transform((text, ctx) => {
    const t = text.trim();
    if (!/^\d{1,16}$/.test(t)) return fail(ctx, `${what} must be a non-negative decimal integer`);
    const n = Number(t);
    if (n > max) return fail(ctx, `${what} out of range`);
    return n;
  });
}

/** RFC 3659 §5.3: `REST <SP> <decimal-integer>` in stream mode. */
export const restOffset = decimal(Number.MAX_SAFE_INTEGER, "restart offset");

/** RFC 2228 §3: `PBSZ <SP> <decimal-integer>`, a 32-bit unsigned value. */
export const protectionBufferSize = decimal(0xffffffff, "protection buffer size");

/** RFC 959 §5.3.1: `ALLO <SP> <decimal-integer> [<SP> R <SP> <decimal-integer>]`. */
export const allocation = z.string().transform((text, ctx) => {
  const m = /^\s*(\d{1,16})(?:\s+R\s+(\d{1,16}))?\s*$/i.exec(text);
  if (!m) return fail(ctx, "ALLO takes a size and an optional R record size");
  return m[2] === undefined ? { size: Number(m[1]) } : { size: Number(m[1]), recordSize: Number(m[2]) };
});

/** RFC 959 §5.3.2 type-code: `A [N|T|C]`, `E [N|T|C]`, `I`, `L <byte-size>`. */
export const representationType = z.string().transform((text, ctx) => {
  const m = /^\s*([AEIL])(?:\s+(\S+))?\s*$/i.exec(text);
  if (!m) return fail(ctx, `unknown TYPE ${JSON.stringify(text)}`, 504, "FTP_ERR_TYPE");
  const kind = (m[1] as string).toUpperCase() as "A" | "E" | "I" | "L";
  const param = m[2]?.toUpperCase();
  switch (kind) {
    case "A":
    case "E": {
      if (param !== undefined && param !== "N" && param !== "T" && param !== "C") {
        return fail(ctx, `unknown format control ${param}`, 504, "FTP_ERR_TYPE");
      }
      return { type: kind, format: (param ?? "N") as "N" | "T" | "C" };
    }
    case "I":
      if (param !== undefined) return fail(ctx, "TYPE I takes no parameter");
      return { type: "I" as const };
    case "L": {
      if (param === undefined || !/^\d{1,3}$/.test(param) || Number(param) === 0) {
        return fail(ctx, "TYPE L needs a byte size");
      }
      return { type: "L" as const, byteSize: Number(param) };
    }
  }
});

/** RFC 959 §5.3.2 structure-code: F, R, P. */
export const fileStructure = z
  .string()
  .transform((t) => t.trim().toUpperCase())
  .pipe(z.enum(["F", "R", "P"], { error: "STRU takes F, R or P" }));

/** RFC 959 §5.3.2 mode-code: S, B, C. */
export const transferMode = z
  .string()
  .transform((t) => t.trim().toUpperCase())
  .pipe(z.enum(["S", "B", "C"], { error: "MODE takes S, B or C" }));

/** RFC 2228 §3: `PROT <SP> <prot-code>`, C, S, E or P. */
export const protectionLevel = z
  .string()
  .transform((t) => t.trim().toUpperCase())
  .pipe(z.enum(["C", "S", "E", "P"], { error: "PROT takes C, S, E or P" }));

/** RFC 2228 §3: `AUTH <SP> <mechanism-name>` (upper-cased; TLS, SSL, TLS-C, TLS-P ...). */
export const securityMechanism = z
  .string()
  .transform((t) => t.trim().toUpperCase())
  .pipe(z.string().regex(/^[\x21-\x7e]{1,64}$/, { error: "bad mechanism name" }));

/** RFC 959 §4.1.2 host-port for PORT. */
export const hostPort = z.string().transform(decodeWith(decodeHostPort));

/** RFC 2428 §2 EPRT argument. */
export const extendedAddress = z.string().transform(decodeWith(decodeEprtArgument));

/** RFC 2428 §3 EPSV argument: none, `ALL`, or a network protocol number. */
export const epsvArgument = z
  .string()
  .optional()
  .transform((text, ctx) => (text === undefined ? { kind: "any" as const } : decodeWith(parseEpsvArgument)(text, ctx)));

/** RFC 2389 §4: `OPTS <SP> command-name [<SP> command-options]`. */
export const optionsArgument = z.string().transform((text, ctx) => {
  const m = /^\s*(\S+)(?:\s(.*))?$/.exec(text);
  if (!m) return fail(ctx, "OPTS needs a command name");
  return { name: (m[1] as string).toUpperCase(), value: m[2] ?? "" };
});

/** `SITE <SP> <string>`: the site command word upper-cased, its argument kept as sent. */
export const siteArgument = z.string().transform((text, ctx) => {
  const m = /^\s*(\S+)(?:\s(.*))?$/.exec(text);
  if (!m) return fail(ctx, "SITE needs a command");
  return { command: (m[1] as string).toUpperCase(), argument: m[2] ?? "" };
});

/**
 * LIST/NLST/STAT argument: leading `-flags` words are `ls` options (curl and lftp send
 * `LIST -a`; vsftpd ignores them the same way), the rest is the pathname, exactly.
 * A name that really starts with `-` can be listed as `./-name`.
 */
export const listArgument = z
  .string()
  .optional()
  .transform((text) => {
    if (text === undefined) return { options: "", path: undefined };
    let rest = text;
    let options = "";
    for (;;) {
      const m = /^-([A-Za-z0-9]*)(?: +|$)/.exec(rest);
      if (!m) break;
      options += m[1];
      rest = rest.slice(m[0].length);
    }
    return { options, path: rest === "" ? undefined : rest };
  });

/** RFC 3659 §2.3 modification time, then the pathname (MFMT, draft-somers-ftp-mfxx). */
export const timeAndPath = z.string().transform((text, ctx) => {
  const m = /^(\S+) (.+)$/s.exec(text);
  if (!m) return fail(ctx, "expected a time-val and a pathname");
  const time = decodeWith(parseMlsxTime)(m[1] as string, ctx);
  return { time, path: m[2] as string };
});

/** RFC 7151 §3: `HOST <SP> <host>`: a domain name, an IPv4 literal or `[IPv6]`. */
export const hostName = z.string().transform((text, ctx) => {
  const t = text.trim();
  if (/^\[[0-9A-Fa-f:.]+\]$/.test(t) || /^[A-Za-z0-9]([A-Za-z0-9-]{0,62}(\.[A-Za-z0-9-]{1,63})*)?\.?$/.test(t)) {
    return t.toLowerCase();
  }
  return fail(ctx, "not a host name", 501);
});

/** RFC 2640 §4.1: `LANG [<SP> <lang-tag>]`. */
export const languageTag = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined) return undefined;
    const t = text.trim();
    if (!/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(t)) return fail(ctx, "not a language tag");
    return t.toUpperCase();
  });

/** HELP takes an optional command name. */
export const helpTopic = z
  .string()
  .optional()
  .transform((t) => (t === undefined || t.trim() === "" ? undefined : t.trim().toUpperCase()));

/** The `params` a grammar failure carries, if any. */
export function issueHint(issue: z.core.$ZodIssue): GrammarFailure | undefined {
  const params = (issue as { params?: Partial<GrammarFailure> }).params;
  if (params?.replyHint !== undefined && params.code !== undefined)
    return { replyHint: params.replyHint, code: params.code };
  return undefined;
}
