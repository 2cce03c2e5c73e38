import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import { FtpServerError } from "../errors/index.js";

/** PEM text, as opposed to the path of a PEM file. */
export function isPem(value: string): boolean {
  return /-----BEGIN [A-Z0-9 ]+-----/.test(value);
}

/** Certificate and key material, read and checked. @internal */
export interface TlsMaterial {
  /** The chain as PEM, leaf first. */
  readonly cert: string;
  readonly key: string;
  readonly passphrase: string | undefined;
  readonly ca: readonly string[] | undefined;
  readonly leaf: X509Certificate;
  readonly selfSigned: boolean;
}

/** Where the material comes from (paths or PEM text). @internal */
export interface TlsSource {
  readonly cert: string;
  readonly key: string;
  readonly passphrase?: string | undefined;
  readonly ca?: string | readonly string[] | undefined;
}

function certError(message: string, cause?: unknown): FtpServerError {
  return new FtpServerError(message, { code: "FTP_ERR_TLS_CERT", cause });
}

async function readPem(value: string, what: string): Promise<{ text: string; origin: string }> {
  if (isPem(value)) return { text: value, origin: `the ${what} PEM text` };
  try {
    return { text: await readFile(value, "utf8"), origin: value };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw certError(`cannot read the TLS ${what} file ${value}${code === undefined ? "" : ` (${code})`}`, cause);
  }
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** The files behind a source (for watching). @internal */
export function sourceFiles(source: TlsSource): string[] {
  const ca = source.ca === undefined ? [] : typeof source.ca === "string" ? [source.ca] : [...source.ca];
  return [source.cert, source.key, ...ca].filter((v) => !isPem(v));
}

/**
 * Reads and checks a certificate chain and its key: every certificate parses and is within
 * its validity period, the key matches the leaf, and OpenSSL accepts the pair.
 * @throws FtpServerError `FTP_ERR_TLS_CERT` naming the file and the problem.
 * @internal
 */
export async function loadTlsMaterial(source: TlsSource, now = new Date()): Promise<TlsMaterial> {
  const cert = await readPem(source.cert, "certificate");
  const key = await readPem(source.key, "key");
  const caValues = source.ca === undefined ? [] : typeof source.ca === "string" ? [source.ca] : [...source.ca];
  const ca = await Promise.all(caValues.map((v) => readPem(v, "CA")));
  return checkTlsMaterial(
    { text: cert.text, origin: cert.origin },
    { text: key.text, origin: key.origin },
    source.passphrase,
    ca.map((c) => c.text),
    false,
    now,
  );
}

/** @internal */
export function checkTlsMaterial(
  cert: { text: string; origin: string },
  key: { text: string; origin: string },
  passphrase: string | undefined,
  ca: readonly string[],
  selfSigned: boolean,
  now = new Date(),
): TlsMaterial {
  const blocks = cert.text.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) throw certError(`${cert.origin} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  const chain: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      chain.push(new X509Certificate(block));
    } catch (cause) {
      throw certError(`certificate ${i + 1} in ${cert.origin} does not parse`, cause);
    }
  }
  for (const c of chain) {
    const from = new Date(c.validFrom);
    const to = new Date(c.validTo);
    if (to.getTime() < now.getTime()) {
      throw certError(
        `the TLS certificate "${c.subject.replace(/\n/g, ", ")}" in ${cert.origin} expired on ${to.toISOString()}`,
      );
    }
    if (from.getTime() > now.getTime()) {
      throw certError(
        `the TLS certificate "${c.subject.replace(/\n/g, ", ")}" in ${cert.origin} is not valid before ${from.toISOString()}`,
      );
    }
  }
  const leaf = chain[0] as X509Certificate;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(passphrase === undefined ? key.text : { key: key.text, passphrase });
  } catch (cause) {
    const encrypted = /ENCRYPTED/.test(key.text);
    throw certError(
      encrypted && passphrase === undefined
        ? `the TLS key in ${key.origin} is encrypted: give tls.passphrase`
        : `the TLS key in ${key.origin} cannot be read (not a PEM private key, or a wrong passphrase)`,
      cause,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw certError(`the TLS key in ${key.origin} does not belong to the certificate in ${cert.origin}`);
  }
  const material: TlsMaterial = {
    cert: blocks.join("\n"),
    key: key.text,
    passphrase,
    ca: ca.length === 0 ? undefined : ca,
    leaf,
    selfSigned,
  };
  try {
    createSecureContext(secureContextOptions(material));
  } catch (cause) {
    throw certError(`OpenSSL refused the TLS certificate or key (${cert.origin})`, cause);
  }
  return material;
}

/** @internal */
export function secureContextOptions(material: TlsMaterial) {
  return {
    cert: material.cert,
    key: material.key,
    ...(material.passphrase === undefined ? {} : { passphrase: material.passphrase }),
    ...(material.ca === undefined ? {} : { ca: [...material.ca] }),
  };
}
