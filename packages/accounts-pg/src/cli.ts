import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { hashPassword, isPasswordHash } from "@ftpkit/server";
import pg from "pg";
import type { AccountChanges, AccountRecord, NewAccount } from "./account.js";
import { PostgresAccountStore } from "./account-store.js";
import { AccountStoreError } from "./errors.js";
import { migrate } from "./migrations.js";

/** What the command talks to; the bin passes the process's, tests their own. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** All of standard input (for `--password-stdin`). */
  readonly readStdin: () => Promise<string>;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3 } as const;

export const USAGE = `Usage: ftpkit-accounts [--database-url URL] COMMAND [ARGS]

Manages the FTP accounts of @ftpkit/server in PostgreSQL. The connection string comes from
--database-url or DATABASE_URL. Password hashes are never printed.

Commands:
  migrate                     create or upgrade the schema (safe to run on every start)
  add NAME ROOT-OPTIONS [OPTIONS] [PASSWORD]
                              add an account
  set NAME [ROOT-OPTIONS] [OPTIONS]
                              change an account's settings
  passwd NAME [PASSWORD]      set a new password
  disable NAME | enable NAME  refuse or allow the account's logins
  remove NAME                 delete the account (its files stay)
  list [--json]               every account, its root, limits and usage

Root (add: one is required):
  --root DIR                  a local directory (absolute)
  --s3-bucket BUCKET [--s3-prefix PREFIX] [--s3-endpoint URL] [--s3-region REGION]
  [--s3-credentials NAME]     an S3 bucket and key prefix; NAME refers to credentials the
                              server knows (never a secret on the command line)
Options:
  --home PATH                 starting directory (default /)
  --permissions P             all | read-only | a comma list of list,read,write,append,delete,
                              rename,mkdir,rmdir,chmod (default all)
  --fxp | --no-fxp            allow FXP (site-to-site) transfers
  --tls required|optional|server
                              this account's FTPS policy (server: the server's)
  --max-sessions N|none       concurrent sessions
  --quota-bytes N|none        storage quota, e.g. 500M, 10G (K/M/G/T are powers of 1024)
  --quota-files N|none        most files
  --upload-rate N|none        bytes per second, e.g. 1M
  --download-rate N|none
  --disabled                  (add) create the account disabled
Password (add, passwd), one of:
  --password-stdin            read it from standard input (one line)
  --password-hash HASH        a hash from \`ftpkit hash-password\` (scrypt$...)
  FTPKIT_PASSWORD             the environment variable
  (none)                      a random password is generated and printed once

Exit status: 0 done, 1 failed, 2 usage error, 3 no such account.`;

class UsageError extends Error {}

const OPTIONS = {
  "database-url": { type: "string" },
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  root: { type: "string" },
  "s3-bucket": { type: "string" },
  "s3-prefix": { type: "string" },
  "s3-endpoint": { type: "string" },
  "s3-region": { type: "string" },
  "s3-credentials": { type: "string" },
  home: { type: "string" },
  permissions: { type: "string" },
  fxp: { type: "boolean" },
  "no-fxp": { type: "boolean" },
  tls: { type: "string" },
  "max-sessions": { type: "string" },
  "quota-bytes": { type: "string" },
  "quota-files": { type: "string" },
  "upload-rate": { type: "string" },
  "download-rate": { type: "string" },
  disabled: { type: "boolean" },
  "password-stdin": { type: "boolean" },
  "password-hash": { type: "string" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

const UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `10G`, `500M`, `1.5GiB`, `2048` → bytes; `none` → null. @throws UsageError */
export function parseSize(option: string, text: string): number | null {
  if (text === "none") return null;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  const unit = UNITS[(m?.[2] ?? "").toLowerCase()];
  const value = m === null || unit === undefined ? Number.NaN : Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(value)) throw new UsageError(`--${option}: not a size: ${text}`);
  return value;
}

function parseCount(option: string, text: string): number | null {
  if (text === "none") return null;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${option}: not a whole number: ${text}`);
  }
  return Number(text);
}

function changesFrom(values: Values): AccountChanges & { root?: NewAccount["root"] } {
  const s3 = ["s3-bucket", "s3-prefix", "s3-endpoint", "s3-region", "s3-credentials"] as const;
  if (values.root !== undefined && s3.some((o) => values[o] !== undefined)) {
    throw new UsageError("--root and --s3-* name two different roots: give one");
  }
  if (values.fxp && values["no-fxp"]) throw new UsageError("--fxp and --no-fxp: give one");
  let root: NewAccount["root"] | undefined;
  if (values.root !== undefined) root = { kind: "local", path: values.root };
  else if (s3.some((o) => values[o] !== undefined)) {
    if (values["s3-bucket"] === undefined) throw new UsageError("an S3 root needs --s3-bucket");
    root = {
      kind: "s3",
      bucket: values["s3-bucket"],
      prefix: values["s3-prefix"] ?? "",
      ...(values["s3-endpoint"] === undefined ? {} : { endpoint: values["s3-endpoint"] }),
      ...(values["s3-region"] === undefined ? {} : { region: values["s3-region"] }),
      ...(values["s3-credentials"] === undefined ? {} : { credentials: values["s3-credentials"] }),
    };
  }
  let permissions: AccountChanges["permissions"];
  if (values.permissions !== undefined) {
    const p = values.permissions.trim();
    permissions =
      p === "all" || p === "read-only"
        ? p
        : (p
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s !== "") as Extract<AccountChanges["permissions"], readonly unknown[]>);
  }
  let tls: AccountChanges["tls"];
  if (values.tls !== undefined) {
    if (!["required", "optional", "server"].includes(values.tls)) {
      throw new UsageError("--tls: required, optional or server");
    }
    tls = values.tls === "server" ? null : (values.tls as "required" | "optional");
  }
  const quotaBytes = values["quota-bytes"] === undefined ? undefined : parseSize("quota-bytes", values["quota-bytes"]);
  const quotaFiles = values["quota-files"] === undefined ? undefined : parseCount("quota-files", values["quota-files"]);
  const upload = values["upload-rate"] === undefined ? undefined : parseSize("upload-rate", values["upload-rate"]);
  const download =
    values["download-rate"] === undefined ? undefined : parseSize("download-rate", values["download-rate"]);
  return {
    ...(root === undefined ? {} : { root }),
    ...(values.home === undefined ? {} : { home: values.home }),
    ...(permissions === undefined ? {} : { permissions }),
    ...(values.fxp ? { fxp: true } : values["no-fxp"] ? { fxp: false } : {}),
    ...(tls === undefined ? {} : { tls }),
    ...(values["max-sessions"] === undefined
      ? {}
      : { maxSessions: parseCount("max-sessions", values["max-sessions"]) }),
    ...(quotaBytes === undefined && quotaFiles === undefined
      ? {}
      : {
          quota: {
            ...(quotaBytes === undefined ? {} : { bytes: quotaBytes }),
            ...(quotaFiles === undefined ? {} : { files: quotaFiles }),
          },
        }),
    ...(upload === undefined && download === undefined
      ? {}
      : {
          bandwidth: {
            ...(upload === undefined ? {} : { upload }),
            ...(download === undefined ? {} : { download }),
          },
        }),
  };
}

/** The hash to store, and the generated password to show (when one was generated). */
async function passwordFrom(values: Values, io: CliIo): Promise<{ hash: string; generated?: string }> {
  const sources = [values["password-stdin"], values["password-hash"] !== undefined].filter(Boolean).length;
  if (sources > 1) throw new UsageError("--password-stdin and --password-hash: give one");
  if (values["password-hash"] !== undefined) {
    if (!isPasswordHash(values["password-hash"])) {
      throw new UsageError("--password-hash: not a hashPassword() string (scrypt$N$r$p$salt$hash)");
    }
    return { hash: values["password-hash"] };
  }
  let password: string | undefined;
  if (values["password-stdin"]) {
    password = (await io.readStdin()).split(/\r?\n/)[0] ?? "";
    if (password === "") throw new UsageError("--password-stdin: standard input holds no password");
  } else if (io.env["FTPKIT_PASSWORD"]) {
    password = io.env["FTPKIT_PASSWORD"];
  }
  if (password !== undefined) return { hash: await hashPassword(password) };
  const generated = randomBytes(15).toString("base64url");
  return { hash: await hashPassword(generated), generated };
}

function describeRoot(record: AccountRecord): string {
  const r = record.root;
  if (r.kind === "local") return r.path;
  const where = r.endpoint === undefined ? "" : ` at ${r.endpoint}`;
  return `s3://${r.bucket}/${r.prefix}${where}${r.credentials === undefined ? "" : ` (credentials ${r.credentials})`}`;
}

function formatBytes(n: number): string {
  for (const [unit, size] of [
    ["T", 1024 ** 4],
    ["G", 1024 ** 3],
    ["M", 1024 ** 2],
    ["K", 1024],
  ] as const) {
    if (n >= size) return `${Number((n / size).toFixed(1))}${unit}`;
  }
  return String(n);
}

function listLine(a: AccountRecord): string {
  const quota = `${formatBytes(a.usage.bytes)}/${a.quota.bytes === undefined ? "-" : formatBytes(a.quota.bytes)} bytes, ${a.usage.files}/${a.quota.files ?? "-"} files`;
  const permissions = Array.isArray(a.permissions) ? a.permissions.join(",") : a.permissions;
  return [a.name, a.enabled ? "enabled" : "disabled", describeRoot(a), permissions, quota].join("\t");
}

function publicRecord(a: AccountRecord): Record<string, unknown> {
  return { ...a, createdAt: a.createdAt.toISOString(), updatedAt: a.updatedAt.toISOString() };
}

/**
 * Runs `ftpkit-accounts` with `argv` (as `process.argv`: node, script, then the arguments).
 * @returns the exit status.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv.slice(2), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`ftpkit-accounts: ${(error as Error).message}`);
    io.err("Try 'ftpkit-accounts --help'.");
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, name, ...extra] = positionals;
  if (values.help || command === undefined || command === "help") {
    (command === undefined && !values.help ? io.err : io.out)(USAGE);
    return command === undefined && !values.help ? EXIT.usage : EXIT.ok;
  }
  const url = values["database-url"] ?? io.env["DATABASE_URL"];
  const needsName = ["add", "set", "passwd", "disable", "enable", "remove"].includes(command);
  try {
    if (!["migrate", "list", ...(needsName ? [command] : [])].includes(command)) {
      throw new UsageError(`unknown command: ${command}`);
    }
    if (needsName && name === undefined) throw new UsageError(`${command}: which account? (NAME)`);
    const maxPositionals = needsName ? 2 : 1;
    if (positionals.length > maxPositionals) throw new UsageError(`unexpected argument: ${extra[0] ?? name}`);
    if (!url) throw new UsageError("no database: give --database-url URL or set DATABASE_URL");
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`ftpkit-accounts: ${error.message}`);
    return EXIT.usage;
  }

  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000 });
  // An idle connection that breaks (the server restarts) must not crash the command.
  pool.on("error", () => {});
  const store = new PostgresAccountStore(pool);
  const account = name as string;
  try {
    switch (command) {
      case "migrate": {
        const result = await migrate(pool);
        io.out(
          result.applied.length === 0
            ? `schema is up to date (version ${result.version})`
            : `applied migration${result.applied.length > 1 ? "s" : ""} ${result.applied.join(", ")}; schema version ${result.version}`,
        );
        return EXIT.ok;
      }
      case "add": {
        const changes = changesFrom(values);
        if (changes.root === undefined) throw new UsageError("add: give the account's root: --root DIR or --s3-bucket");
        const { hash, generated } = await passwordFrom(values, io);
        const record = await store.add({
          name: account,
          passwordHash: hash,
          root: changes.root,
          ...(values.disabled ? { enabled: false } : {}),
          ...withoutNulls(changes),
        } as NewAccount);
        io.out(`added ${record.name} (${describeRoot(record)})`);
        if (generated !== undefined) io.out(`password: ${generated}`);
        return EXIT.ok;
      }
      case "set": {
        if (values.disabled) throw new UsageError("set: use disable/enable");
        if (values["password-stdin"] || values["password-hash"] !== undefined) {
          throw new UsageError("set: use passwd to change a password");
        }
        const changes = changesFrom(values);
        if (Object.keys(changes).length === 0) throw new UsageError("set: nothing to change");
        const record = await store.update(account, changes);
        if (record === undefined) return notFound(io, account);
        io.out(`changed ${record.name}`);
        return EXIT.ok;
      }
      case "passwd": {
        const { hash, generated } = await passwordFrom(values, io);
        if (!(await store.setPassword(account, hash))) return notFound(io, account);
        io.out(`password of ${account} changed`);
        if (generated !== undefined) io.out(`password: ${generated}`);
        return EXIT.ok;
      }
      case "disable":
      case "enable": {
        if (!(await store.setEnabled(account, command === "enable"))) return notFound(io, account);
        io.out(`${account} ${command}d`);
        return EXIT.ok;
      }
      case "remove": {
        if (!(await store.remove(account))) return notFound(io, account);
        io.out(`removed ${account} (its files are left where they are)`);
        return EXIT.ok;
      }
      case "list": {
        const accounts = await store.list();
        if (values.json) io.out(JSON.stringify(accounts.map(publicRecord), null, 2));
        else for (const a of accounts) io.out(listLine(a));
        return EXIT.ok;
      }
    }
    return EXIT.usage;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`ftpkit-accounts: ${error.message}`);
      return EXIT.usage;
    }
    if (AccountStoreError.isInstance(error)) {
      io.err(`ftpkit-accounts: ${error.message}`);
      return error.code === "FTP_ERR_ACCOUNT_INVALID" ? EXIT.usage : EXIT.failed;
    }
    const e = error as { code?: string; message?: string };
    if (e.code === "42P01" || e.code === "3F000") {
      io.err("ftpkit-accounts: the schema is missing: run `ftpkit-accounts migrate` first");
    } else {
      io.err(`ftpkit-accounts: ${e.message ?? String(error)}`);
    }
    return EXIT.failed;
  } finally {
    await pool.end();
  }
}

function notFound(io: CliIo, name: string): number {
  io.err(`ftpkit-accounts: no account named ${name}`);
  return EXIT.notFound;
}

/** `add` takes no `null`s (nothing to clear yet). */
function withoutNulls(changes: AccountChanges): Partial<NewAccount> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) continue;
    if (typeof value === "object" && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
    } else out[key] = value;
  }
  return out as Partial<NewAccount>;
}
