/**
 * Config parsing never throws anything but its typed error, whatever it is given: the server
 * options schema (through `new FtpServer`), the defender's options, the users table and the
 * users file (JSON or YAML text). Properties run with the fixed seed of tools/fast-check-seed.ts.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fc, test } from "@fast-check/vitest";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { z } from "zod";
import { createUsersAuthenticator, loadUsersFile, usersTableSchema } from "./auth/users.js";
import { Defender } from "./defender/defender.js";
import { FtpServerError } from "./errors/index.js";
import { MemoryFileSystem } from "./fs/index.js";
import { FtpServer } from "./server.js";

const isZodError = (e: unknown) => e instanceof z.ZodError;

/** Runs `fn`; anything thrown must pass `typed`. */
function onlyTyped(fn: () => unknown, typed: (e: unknown) => boolean): void {
  try {
    fn();
  } catch (error) {
    if (!typed(error)) throw error;
  }
}

/** Values that break naive config code: odd numbers, odd strings, wrong types, nesting. */
const oddValue = fc.oneof(
  fc.constantFrom(0, -1, 1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 31, 2 ** 53, 65535, 65536),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.constantFrom("", "127.0.0.1", "::1", "0.0.0.0/0", "10.0.0.0/33", "not-an-ip", "__proto__", "constructor"),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(() => null),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 8 })), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 3 }),
);

const LIMIT_KEYS = [
  "maxConnections",
  "maxConnectionsPerIp",
  "idleTimeout",
  "loginTimeout",
  "dataTimeout",
  "maxLoginAttempts",
  "failedLoginDelay",
  "maxLineLength",
  "maxListEntries",
  "lineTimeout",
  "commandRate",
  "commandBurst",
  "floodTimeout",
  "dataMinRate",
  "dataRateWindow",
  "atomicCommitDelay",
  "bogus",
] as const;

const DEFENDER_KEYS = [
  "enabled",
  "threshold",
  "scores",
  "observationWindow",
  "banTime",
  "banTimeFactor",
  "maxBanTime",
  "checkTimeout",
  "allowList",
  "store",
  "bogus",
] as const;

const partialOf = (keys: readonly string[], value: fc.Arbitrary<unknown>) =>
  fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 5 });

const allowList = fc.array(
  fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.tuple(fc.ipV4(), fc.integer({ min: -1, max: 40 })).map(([a, b]) => `${a}/${b}`),
    fc.string({ maxLength: 12 }),
  ),
  { maxLength: 4 },
);

const serverOptions = fc.record(
  {
    host: oddValue,
    port: fc.oneof(fc.integer({ min: -10, max: 70_000 }), oddValue),
    authenticate: fc.oneof(
      fc.constant(() => null),
      oddValue,
    ),
    users: fc.oneof(fc.constant({}), fc.string({ maxLength: 10 }), oddValue),
    anonymous: oddValue,
    root: oddValue,
    passive: fc.oneof(
      fc.record(
        { portRange: fc.tuple(fc.integer({ min: -5, max: 70_000 }), fc.integer({ min: -5, max: 70_000 })) },
        { requiredKeys: [] },
      ),
      oddValue,
    ),
    uploadMode: fc.oneof(fc.constantFrom("standard", "atomic", "atomic-resume", "other"), oddValue),
    limits: fc.oneof(partialOf(LIMIT_KEYS, oddValue), oddValue),
    greeting: fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
      oddValue,
    ),
    hashAlgorithms: fc.oneof(fc.array(fc.constantFrom("SHA-256", "MD5", "SHA-512"), { maxLength: 3 }), oddValue),
    tls: fc.oneof(
      fc.record({ selfSigned: fc.boolean(), require: fc.string({ maxLength: 12 }) }, { requiredKeys: [] }),
      oddValue,
    ),
    defender: fc.oneof(
      fc.constant(false),
      partialOf(DEFENDER_KEYS, oddValue),
      fc.record({ allowList, threshold: fc.double() }, { requiredKeys: [] }),
      oddValue,
    ),
    bogus: oddValue,
  },
  { requiredKeys: [] },
);

describe("config parsing never throws anything but its typed error", () => {
  test.prop([fc.oneof(serverOptions, fc.anything())], { numRuns: 3000 })(
    "new FtpServer(options): constructed, or a ZodError",
    (options) => {
      onlyTyped(() => new FtpServer(options as never), isZodError);
    },
  );

  test.prop(
    [fc.oneof(partialOf(DEFENDER_KEYS, oddValue), fc.record({ allowList }, { requiredKeys: [] }), fc.anything())],
    {
      numRuns: 3000,
    },
  )("new Defender(options): constructed, or a ZodError", (options) => {
    onlyTyped(() => new Defender(options as never), isZodError);
  });

  const userEntry = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constant("scrypt$16384$8$1$c2FsdA$aGFzaA"),
    fc.record(
      {
        password: fc.oneof(fc.string({ maxLength: 10 }), oddValue),
        root: oddValue,
        home: fc.oneof(fc.constantFrom("/", "/pub", "relative"), oddValue),
        permissions: fc.oneof(fc.constantFrom("all", "read-only", ["read"], ["fly"]), oddValue),
        maxSessions: oddValue,
        quota: fc.oneof(fc.record({ bytes: oddValue, files: oddValue }, { requiredKeys: [] }), oddValue),
        bandwidth: fc.oneof(fc.record({ upload: oddValue, download: oddValue }, { requiredKeys: [] }), oddValue),
      },
      { requiredKeys: [] },
    ),
    oddValue,
  );
  const usersTable = fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), userEntry, { maxKeys: 4 }), fc.anything());

  test.prop([usersTable], { numRuns: 3000 })(
    "users table: safeParse never throws; createUsersAuthenticator throws only FtpServerError",
    (users) => {
      expect(() => usersTableSchema.safeParse(users)).not.toThrow();
      onlyTyped(
        () => createUsersAuthenticator({ users: users as never, fileSystem: () => new MemoryFileSystem() }),
        (e) => FtpServerError.isInstance(e),
      );
    },
  );

  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ftpkit-users-prop-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const yamlish = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString("latin1")),
    usersTable.map((u) => {
      try {
        return JSON.stringify(u) ?? "";
      } catch {
        return "";
      }
    }),
    fc.constantFrom(
      "alice: scrypt$16384$8$1$c2FsdA$aGFzaA\n",
      "alice:\n  password: x\n  root: ../..\n",
      "- a\n- b\n",
      "&a [*a]",
      "!!binary AAAA",
      "{",
      "a: &x {b: *x}",
      "? [a, b]\n: c",
    ),
  );

  let n = 0;
  test.prop([yamlish], { numRuns: 300 })("users file: loadUsersFile rejects only with FtpServerError", async (text) => {
    const path = join(dir, `users-${n++}.yaml`);
    await writeFile(path, text, "latin1");
    try {
      await loadUsersFile(path);
    } catch (error) {
      if (!FtpServerError.isInstance(error)) throw error;
    }
  });
});
