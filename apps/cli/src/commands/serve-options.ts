/**
 * The `ftpkit serve` options beyond host, port, user and password (which cli.ts declares):
 * `--users FILE`, `--anonymous` and `--write`, `--passive-ports`, `--advertise`, and
 * `--config FILE`, whose values fill in every option not given on the command line.
 */
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { globalFlags } from "../context.js";
import { CliUsageError } from "../errors.js";
import { type CliIo, envOf } from "../io.js";
import type { ServeOptions } from "../serve.js";
import {
  accountsDbSchema,
  loadServeConfig,
  passivePortsSchema,
  proxyProtocolFromSchema,
  serveConfigSchema,
} from "../serve-config.js";
import type { SharedStateOptions } from "../serve-shared.js";
import { examples } from "./common.js";

function parsePassivePorts(value: string): [number, number] {
  const result = passivePortsSchema.safeParse(value);
  if (!result.success) throw new InvalidArgumentError("a port range LOW-HIGH, for example 50000-50100");
  return result.data;
}

function parseAccountsDb(value: string): string {
  if (!accountsDbSchema.safeParse(value).success) throw new InvalidArgumentError("a postgres:// URL");
  return value;
}

function parseS3Endpoint(value: string): string {
  if (!serveConfigSchema.shape.s3Endpoint.safeParse(value).success) {
    throw new InvalidArgumentError("an http:// or https:// URL");
  }
  return value;
}

/** `ADDR[,ADDR...]`: addresses or CIDR blocks of the load balancers sending PROXY headers. */
function parseProxyProtocolFrom(value: string): string[] {
  const entries = value.split(",").map((v) => v.trim());
  if (entries.length === 0 || !entries.every((e) => proxyProtocolFromSchema.safeParse(e).success)) {
    throw new InvalidArgumentError("addresses or CIDR blocks, comma-separated: 127.0.0.1,10.0.0.0/8,fd00::/8");
  }
  return entries;
}

function parseTlsPort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError("a port is 0..65535");
  return port;
}

/** `--tls`, `--cert`, `--key`, `--implicit-port` as ServeOptions. @throws CliUsageError for a half-given pair. */
function tlsOptions(o: { tls?: boolean; cert?: string; key?: string; implicitPort?: number }): Partial<ServeOptions> {
  if ((o.cert === undefined) !== (o.key === undefined)) throw new CliUsageError("give --cert and --key together");
  const tls: ServeOptions["tls"] =
    o.cert !== undefined && o.key !== undefined
      ? { cert: o.cert, key: o.key }
      : o.tls === true
        ? { selfSigned: true }
        : undefined;
  return {
    ...(tls === undefined ? {} : { tls }),
    ...(o.implicitPort === undefined ? {} : { implicitPort: o.implicitPort }),
  };
}

/** Where `--config` values go: the option's attribute name (commander's camelCase). */
const CONFIG_TO_OPTION: Readonly<Record<string, string>> = {
  host: "host",
  port: "port",
  user: "user",
  password: "password",
  users: "users",
  anonymous: "anonymous",
  write: "write",
  readOnly: "readOnly",
  passivePorts: "passivePorts",
  advertise: "advertise",
  tls: "tls",
  cert: "cert",
  key: "key",
  implicitPort: "implicitPort",
  quiet: "quiet",
  accountsDb: "accountsDb",
  s3Endpoint: "s3Endpoint",
  s3Region: "s3Region",
  s3ForcePathStyle: "s3ForcePathStyle",
  // Config-only keys (secrets stay off the command line; the defender is a map of options).
  s3AccessKeyId: "s3AccessKeyId",
  s3SecretAccessKey: "s3SecretAccessKey",
  defender: "defender",
  proxyProtocolFrom: "proxyProtocolFrom",
};

/** Keys only a config file (or the environment) gives: no command-line option to check against. */
const CONFIG_ONLY = new Set(["quiet", "s3AccessKeyId", "s3SecretAccessKey", "defender"]);

/** Adds the options to the `serve` command made in cli.ts. */
export function extendServe(serve: Command): void {
  serve
    .option("--users <file>", "a users file (JSON or YAML, hashed passwords: ftpkit hash-password)")
    .option("--anonymous", "let anonymous users in (user anonymous or ftp, any password), read-only")
    .option("--write", "with --anonymous: let anonymous users upload, delete and rename too")
    .option(
      "--passive-ports <low-high>",
      "passive data ports, e.g. 50000-50100 (open them in your firewall)",
      parsePassivePorts,
    )
    .option("--advertise <address>", "IPv4 address (or host name) PASV replies give, for NAT and cloud hosts")
    .option(
      "--tls",
      "FTPS, required for logins and data: with --cert/--key, else a SELF-SIGNED certificate (local development only)",
    )
    .option("--cert <file>", "FTPS certificate (PEM, the chain after the leaf); implies --tls")
    .option("--key <file>", "FTPS private key (PEM)")
    .option("--implicit-port <port>", "also implicit FTPS on this port (990 by convention, 0 picks one)", parseTlsPort)
    .option("--config <file>", "read options from a JSON or YAML file (command-line options win)")
    .option(
      "--accounts-db <url>",
      "accounts, shared bans and quota usage in PostgreSQL (or DATABASE_URL; manage them with ftpkit-accounts)",
      parseAccountsDb,
    )
    .option(
      "--s3-endpoint <url>",
      "S3 roots: endpoint of an S3-compatible store (or AWS_ENDPOINT_URL_S3)",
      parseS3Endpoint,
    )
    .option("--s3-region <region>", "S3 roots: region (or AWS_REGION; default us-east-1)")
    .option("--s3-force-path-style", "S3 roots: path-style URLs (the default with --s3-endpoint)")
    .option("--no-s3-force-path-style", "S3 roots: virtual-host-style URLs")
    .option(
      "--proxy-protocol-from <addresses>",
      "behind a TCP load balancer: accept PROXY protocol v1/v2 headers (the client's real address) from these addresses or CIDR blocks, comma-separated",
      parseProxyProtocolFrom,
    )
    .addHelpText(
      "after",
      `${examples(
        "ftpkit serve ./site                                   # 127.0.0.1:2121, generated password",
        "ftpkit serve ./pub --anonymous --host 0.0.0.0 --port 21",
        "ftpkit serve --users users.yaml --passive-ports 50000-50100 --advertise ftp.example.com ./data",
        "FTPKIT_PASSWORD=s3cret ftpkit serve --user alice ./share",
        "ftpkit serve --config ftpkit.yaml",
        "ftpkit serve --cert fullchain.pem --key key.pem --implicit-port 990 ./data   # FTPS",
        "ftpkit serve --tls ./site                             # FTPS, self-signed: local development only",
        "DATABASE_URL=postgres://ftp@db/ftp ftpkit serve --s3-endpoint http://rgw:7480 --host 0.0.0.0   # one of several nodes",
      )}

The password may also come from the environment variable FTPKIT_PASSWORD (so it is not in
the shell history or the process list). A config file holds the same options as keys
(dir, host, port, user, password, users, anonymous, write, readOnly, passivePorts,
advertise, tls, cert, key, implicitPort, quiet, accountsDb, s3Endpoint, s3Region,
s3AccessKeyId, s3SecretAccessKey, s3ForcePathStyle, defender, proxyProtocolFrom).

With --accounts-db (or DATABASE_URL) the accounts come from PostgreSQL (@ftpkit/accounts-pg,
schema created or upgraded at start; add accounts with ftpkit-accounts), the defender's bans
are shared by every node on that database, and quota usage is counted there. Accounts with
an S3 root are served from S3: keys from s3AccessKeyId/s3SecretAccessKey in the config,
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or the account's credentials name
(FTPKIT_S3_<NAME>_ACCESS_KEY_ID and _SECRET_ACCESS_KEY).`,
    )
    .hook("preAction", async (command) => {
      const file = command.opts<{ config?: string }>().config;
      if (file === undefined) return;
      const config = await loadServeConfig(file);
      for (const [key, value] of Object.entries(config)) {
        if (value === undefined) continue;
        if (key === "dir") {
          // The DIR argument, unless given on the command line.
          if (command.args.length === 0) command.processedArgs[0] = value;
          continue;
        }
        const option = CONFIG_TO_OPTION[key];
        if (option === undefined) continue;
        // A key whose option this build of serve does not have (yet) is an error, never ignored.
        if (!CONFIG_ONLY.has(option) && !command.options.some((o) => o.attributeName() === option)) {
          throw new CliUsageError(
            `config ${file}: ${JSON.stringify(key)} is not supported by this version of ftpkit serve`,
          );
        }
        const source = command.getOptionValueSource(option);
        if (source === "cli" || source === "env") continue;
        command.setOptionValueWithSource(option, value, "config");
      }
    });
}

/**
 * The ServeOptions fields from these options, FTPKIT_PASSWORD and `-q`: pass them to
 * `serve()` along with host, port, user and password.
 */
export function serveAccessOptions(io: CliIo, command: Command): Partial<ServeOptions> {
  const o = command.opts<{
    password?: string;
    users?: string;
    anonymous?: boolean;
    write?: boolean;
    passivePorts?: [number, number];
    advertise?: string;
    quiet?: boolean;
    tls?: boolean;
    cert?: string;
    key?: string;
    implicitPort?: number;
    accountsDb?: string;
    s3Endpoint?: string;
    s3Region?: string;
    s3ForcePathStyle?: boolean;
    s3AccessKeyId?: string;
    s3SecretAccessKey?: string;
    defender?: ServeOptions["defender"];
    proxyProtocolFrom?: string[];
  }>();
  const userSource = command.getOptionValueSource("user");
  // What asks for local accounts on the command line or in the config: then an ambient
  // DATABASE_URL (set for other programs) is not taken as --accounts-db.
  const localAccess = {
    dir: command.args.length > 0,
    users: o.users !== undefined,
    user: userSource === "cli" || userSource === "config",
    password: o.password !== undefined,
    anonymous: o.anonymous === true,
  };
  const shared = sharedStateOptions(io, o, localAccess);
  // With --accounts-db, FTPKIT_PASSWORD is ftpkit-accounts' (it sets account passwords), not a login here.
  const envPassword = o.password === undefined && shared === undefined ? envOf(io)["FTPKIT_PASSWORD"] : undefined;
  const quiet = o.quiet === true || globalFlags(command).quiet;
  return {
    ...(envPassword === undefined || envPassword === "" ? {} : { password: envPassword, passwordFromEnv: true }),
    ...(userSource === "cli" || userSource === "config" ? { userGiven: true } : {}),
    ...(o.users === undefined ? {} : { usersFile: o.users }),
    ...(o.anonymous === true ? { anonymous: true } : {}),
    ...(o.write === true ? { write: true } : {}),
    ...(o.passivePorts === undefined ? {} : { passivePorts: o.passivePorts }),
    ...(o.advertise === undefined ? {} : { advertise: o.advertise }),
    ...(quiet ? {} : { log: (line: string) => io.out(line) }),
    ...tlsOptions(o),
    ...(shared === undefined ? {} : { shared }),
    ...(o.defender === undefined ? {} : { defender: o.defender }),
    ...(o.proxyProtocolFrom === undefined ? {} : { proxyProtocolFrom: o.proxyProtocolFrom }),
    warn: (line: string) => io.err(line),
  };
}

/**
 * `--accounts-db` and the S3 settings of S3 roots, from the options, the config file and the
 * standard environment variables (options and config first): DATABASE_URL (only when no local
 * access is asked for: DIR, --users, --user, --password, --anonymous), AWS_ENDPOINT_URL_S3 or
 * AWS_ENDPOINT_URL, AWS_REGION or AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN).
 * @throws CliUsageError for local access options with --accounts-db, S3 keys given half, a
 *   bad DATABASE_URL or endpoint, or S3 settings without a database.
 */
function sharedStateOptions(
  io: CliIo,
  o: {
    accountsDb?: string;
    s3Endpoint?: string;
    s3Region?: string;
    s3ForcePathStyle?: boolean;
    s3AccessKeyId?: string;
    s3SecretAccessKey?: string;
  },
  localAccess: Readonly<Record<"dir" | "users" | "user" | "password" | "anonymous", boolean>>,
): SharedStateOptions | undefined {
  const env = envOf(io);
  const s3Given = [o.s3Endpoint, o.s3Region, o.s3ForcePathStyle, o.s3AccessKeyId, o.s3SecretAccessKey].some(
    (v) => v !== undefined,
  );
  const local = Object.entries(localAccess)
    .filter(([, given]) => given)
    .map(([name]) => (name === "dir" ? "DIR" : `--${name}`));
  if (o.accountsDb !== undefined && local.length > 0) {
    throw new CliUsageError(
      `--accounts-db serves the accounts of the database (each with its own root): ${local.join(", ")} cannot go with it`,
    );
  }
  const envUrl = local.length > 0 ? undefined : nonEmpty(env["DATABASE_URL"]);
  if (o.accountsDb === undefined && envUrl !== undefined && !accountsDbSchema.safeParse(envUrl).success) {
    throw new CliUsageError("DATABASE_URL: not a postgres:// or postgresql:// URL");
  }
  const url = o.accountsDb ?? envUrl;
  if (url === undefined) {
    if (s3Given)
      throw new CliUsageError("the S3 settings are for the S3 roots of --accounts-db accounts: give --accounts-db too");
    return undefined;
  }
  const endpoint = o.s3Endpoint ?? nonEmpty(env["AWS_ENDPOINT_URL_S3"]) ?? nonEmpty(env["AWS_ENDPOINT_URL"]);
  if (endpoint !== undefined && !serveConfigSchema.shape.s3Endpoint.safeParse(endpoint).success) {
    throw new CliUsageError(`S3 endpoint ${endpoint}: not an http:// or https:// URL`);
  }
  const region = o.s3Region ?? nonEmpty(env["AWS_REGION"]) ?? nonEmpty(env["AWS_DEFAULT_REGION"]);
  const fromConfig = o.s3AccessKeyId !== undefined || o.s3SecretAccessKey !== undefined;
  const accessKeyId = fromConfig ? o.s3AccessKeyId : nonEmpty(env["AWS_ACCESS_KEY_ID"]);
  const secretAccessKey = fromConfig ? o.s3SecretAccessKey : nonEmpty(env["AWS_SECRET_ACCESS_KEY"]);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new CliUsageError(
      fromConfig
        ? "give s3AccessKeyId and s3SecretAccessKey together"
        : "give AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY together",
    );
  }
  const sessionToken = fromConfig ? undefined : nonEmpty(env["AWS_SESSION_TOKEN"]);
  return {
    url,
    s3: {
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(region === undefined ? {} : { region }),
      ...(o.s3ForcePathStyle === undefined ? {} : { forcePathStyle: o.s3ForcePathStyle }),
      ...(accessKeyId === undefined || secretAccessKey === undefined
        ? {}
        : { credentials: { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) } }),
    },
    env,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
