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
import { loadServeConfig, passivePortsSchema } from "../serve-config.js";
import { examples } from "./common.js";

function parsePassivePorts(value: string): [number, number] {
  const result = passivePortsSchema.safeParse(value);
  if (!result.success) throw new InvalidArgumentError("a port range LOW-HIGH, for example 50000-50100");
  return result.data;
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
};

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
      )}

The password may also come from the environment variable FTPKIT_PASSWORD (so it is not in
the shell history or the process list). A config file holds the same options as keys
(dir, host, port, user, password, users, anonymous, write, readOnly, passivePorts,
advertise, tls, cert, key, implicitPort, quiet).`,
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
        if (option !== "quiet" && !command.options.some((o) => o.attributeName() === option)) {
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
  }>();
  const envPassword = o.password === undefined ? envOf(io)["FTPKIT_PASSWORD"] : undefined;
  const userSource = command.getOptionValueSource("user");
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
    warn: (line: string) => io.err(line),
  };
}
