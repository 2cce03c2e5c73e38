/**
 * `ftpkit serve --config FILE`: the serve options in a JSON or YAML file (YAML is a superset
 * of JSON). Keys are the long options, camelCase or as spelled on the command line
 * (`passivePorts` or `passive-ports`); every key is validated, and an unknown or invalid
 * one is reported by name. Options given on the command line win over the file; relative
 * paths in the file (`dir`, `users`, `cert`, `key`) are relative to the file.
 */
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { dirname, resolve } from "node:path";
import { defenderOptionsSchema } from "@ftpkit/server";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { CliUsageError } from "./errors.js";

const port = z.number().int().min(0).max(65535);

/** `50000-50100` or `[50000, 50100]`: an inclusive range of ports 1..65535. */
export const passivePortsSchema = z
  .union([
    z
      .string()
      .regex(/^\d{1,5}-\d{1,5}$/, { message: "must look like 50000-50100" })
      .transform((s) => s.split("-").map(Number) as [number, number]),
    z.tuple([z.number().int(), z.number().int()]),
  ])
  .refine(([lo, hi]) => lo >= 1 && hi <= 65535 && lo <= hi, {
    message: "must be LOW-HIGH with 1 <= LOW <= HIGH <= 65535",
  });

/** A PostgreSQL connection URL, as `pg` takes it. */
export const accountsDbSchema = z.string().refine(
  (value) => {
    try {
      return ["postgres:", "postgresql:"].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { message: "must be a postgres:// or postgresql:// URL" },
);

/**
 * A load balancer allowed to send PROXY protocol headers: an IP address or a CIDR block
 * (`10.0.0.0/8`, `fd00::/8`), as @ftpkit/server's `proxyProtocol.trustedProxies` takes it.
 */
export const proxyProtocolFromSchema = z.string().refine(
  (value) => {
    const [address = "", bits, extra] = value.split("/");
    const family = isIP(address);
    if (family === 0 || extra !== undefined || address.includes("%")) return false;
    if (bits === undefined) return true;
    return /^(?:0|[1-9][0-9]{0,2})$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
  },
  { message: "must be an IP address or a CIDR block (10.0.0.0/8, fd00::/8)" },
);

export const serveConfigSchema = z
  .object({
    /** The directory to serve. */
    dir: z.string().min(1),
    host: z.string().min(1),
    port,
    user: z.string().min(1),
    password: z.string().min(1),
    /** A users file (JSON/YAML, hashed passwords: `ftpkit hash-password`). */
    users: z.string().min(1),
    anonymous: z.boolean(),
    /** Let anonymous users write (with `anonymous`). */
    write: z.boolean(),
    readOnly: z.boolean(),
    passivePorts: passivePortsSchema,
    /** The IPv4 address (or a host name resolving to one) PASV replies advertise. */
    advertise: z.string().min(1),
    tls: z.boolean(),
    cert: z.string().min(1),
    key: z.string().min(1),
    implicitPort: port,
    /** No session log. */
    quiet: z.boolean(),
    /** Accounts (and shared defender bans, quota usage) in PostgreSQL: `postgres://...`. */
    accountsDb: accountsDbSchema,
    /** S3 roots: the endpoint of an S3-compatible store (default: AWS). */
    s3Endpoint: z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" }),
    s3Region: z.string().min(1),
    /** S3 roots: static keys (default: the AWS SDK's chain: AWS_ACCESS_KEY_ID, ~/.aws, ...). */
    s3AccessKeyId: z.string().min(1),
    s3SecretAccessKey: z.string().min(1),
    /** S3 roots: path-style URLs (default: on with an endpoint, as S3-compatible stores need). */
    s3ForcePathStyle: z.boolean(),
    /** The defender's options (threshold, banTime, allowList...), or false to turn it off. */
    defender: z.union([z.literal(false), defenderOptionsSchema]),
    /** Load balancers (addresses or CIDR blocks) whose PROXY protocol v1/v2 headers are accepted. */
    proxyProtocolFrom: z.array(proxyProtocolFromSchema).min(1),
  })
  .partial()
  .strict();

export type ServeConfig = z.output<typeof serveConfigSchema>;

/** The keys a config file may hold (for messages). */
export const CONFIG_KEYS = Object.keys(serveConfigSchema.shape);

const camel = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Keys naming files, resolved against the config file's directory. */
const PATH_KEYS = ["dir", "users", "cert", "key"] as const;

/**
 * Validates a parsed config object.
 * @throws CliUsageError naming the file and the first bad key.
 */
export function validateServeConfig(value: unknown, file: string): ServeConfig {
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new CliUsageError(
      `config ${file}: expected a map of options (key: value), not ${Array.isArray(value) ? "a list" : typeof value}`,
    );
  }
  const normalized: Record<string, unknown> = {};
  const spelled = new Map<string, string>();
  for (const [key, v] of Object.entries(value)) {
    normalized[camel(key)] = v;
    spelled.set(camel(key), key);
  }
  const result = serveConfigSchema.safeParse(normalized);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue?.code === "unrecognized_keys") {
      const key = issue.keys[0] ?? "";
      throw new CliUsageError(
        `config ${file}: unknown key ${JSON.stringify(spelled.get(key) ?? key)} (known keys: ${CONFIG_KEYS.join(", ")})`,
      );
    }
    const key = String(issue?.path[0] ?? "");
    const where = [spelled.get(key) ?? key, ...(issue?.path.slice(1) ?? []).map(String)].join(".");
    throw new CliUsageError(`config ${file}: ${JSON.stringify(where)}: ${issue?.message ?? "invalid"}`);
  }
  const config: Record<string, unknown> = { ...result.data };
  const base = dirname(resolve(file));
  for (const key of PATH_KEYS) {
    const v = config[key];
    if (typeof v === "string") config[key] = resolve(base, v);
  }
  return config as ServeConfig;
}

/**
 * Reads and validates a config file.
 * @throws CliUsageError when it cannot be read or parsed, or a key is unknown or invalid.
 */
export async function loadServeConfig(file: string): Promise<ServeConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new CliUsageError(
      `cannot read config ${file}: ${code === "ENOENT" ? "no such file" : (cause as Error).message}`,
      {
        cause,
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (cause) {
    const first = String((cause as Error).message)
      .split("\n")[0]
      ?.replace(/:$/, "");
    throw new CliUsageError(`config ${file}: not valid JSON or YAML: ${first}`, { cause });
  }
  return validateServeConfig(parsed, file);
}
