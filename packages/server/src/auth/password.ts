import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** scrypt cost parameters (RFC 7914 §2): CPU/memory cost N, block size r, parallelization p. */
export interface ScryptParameters {
  /** CPU/memory cost, a power of two (default 2^15: ~32 MiB and ~50 ms per hash). */
  readonly N?: number;
  readonly r?: number;
  readonly p?: number;
}

const DEFAULTS = { N: 2 ** 15, r: 8, p: 1 } as const;
/** Refuse hashes whose parameters would let a config file exhaust memory or CPU. */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const KEY_LENGTH = 32;
const HASH_FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function derive(password: string, salt: Buffer, N: number, r: number, p: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // scrypt needs 128 * N * r bytes; allow twice that.
    scrypt(password.normalize("NFC"), salt, length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

function checkParameters(N: number, r: number, p: number): void {
  if (!Number.isInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) {
    throw new RangeError(`scrypt N must be a power of two between 2 and ${MAX_N}`);
  }
  if (!Number.isInteger(r) || r < 1 || r > MAX_R) throw new RangeError(`scrypt r must be 1..${MAX_R}`);
  if (!Number.isInteger(p) || p < 1 || p > MAX_P) throw new RangeError(`scrypt p must be 1..${MAX_P}`);
}

/**
 * Hashes a password for the built-in users authenticator.
 *
 * @returns a self-describing string `scrypt$N$r$p$salt$hash` (salt and hash in base64), safe
 *   to store in a users file: it carries its own parameters, so they can be raised later
 *   without invalidating old entries.
 * @throws RangeError for parameters out of range.
 */
export async function hashPassword(password: string, parameters: ScryptParameters = {}): Promise<string> {
  const N = parameters.N ?? DEFAULTS.N;
  const r = parameters.r ?? DEFAULTS.r;
  const p = parameters.p ?? DEFAULTS.p;
  checkParameters(N, r, p);
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, r, p, KEY_LENGTH);
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

/** True when `hash` has the shape {@link hashPassword} produces (parameters in range). */
export function isPasswordHash(hash: string): boolean {
  const m = HASH_FORMAT.exec(hash);
  if (m === null) return false;
  try {
    checkParameters(Number(m[1]), Number(m[2]), Number(m[3]));
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a password against a {@link hashPassword} string in constant time.
 * @returns false for a wrong password or a malformed hash (never throws for those).
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = HASH_FORMAT.exec(hash);
  if (m === null || !isPasswordHash(hash)) return false;
  const salt = Buffer.from(m[4] as string, "base64");
  const expected = Buffer.from(m[5] as string, "base64");
  if (expected.length < 16) return false;
  const key = await derive(password, salt, Number(m[1]), Number(m[2]), Number(m[3]), expected.length);
  return timingSafeEqual(key, expected);
}
