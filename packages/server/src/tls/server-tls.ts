import { type Stats, type StatWatcher, unwatchFile, watchFile } from "node:fs";
import type { FtpServerError } from "../errors/index.js";
import type { ResolvedTlsOptions } from "../options.js";
import { checkTlsMaterial, loadTlsMaterial, sourceFiles, type TlsMaterial } from "./certificates.js";
import { generateSelfSignedCertificate } from "./self-signed.js";
import { SessionTls } from "./session-tls.js";

/** The certificate a server presents, as `FtpServer.certificate` reports it. */
export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: Date;
  readonly validTo: Date;
  /** SHA-256 fingerprint, `AA:BB:...` (what `openssl x509 -fingerprint -sha256` prints). */
  readonly fingerprint256: string;
  /** The leaf certificate as PEM (for a client's CA file, e.g. with a self-signed certificate). */
  readonly pem: string;
  readonly selfSigned: boolean;
}

/**
 * The server-wide TLS configuration: the current certificate material (files re-read on
 * `reload()`, optionally when they change) and the policy. Each control connection takes a
 * {@link SessionTls} made from the material current at that moment; reloading never
 * touches running sessions.
 * @internal
 */
export class ServerTls {
  private material: TlsMaterial;
  private watched: [string, (curr: Stats, prev: Stats) => void][] = [];
  private reloadTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly options: ResolvedTlsOptions,
    material: TlsMaterial,
    private readonly hosts: readonly string[],
  ) {
    this.material = material;
  }

  /**
   * Reads (or, with `selfSigned`, generates) the certificate.
   * @throws FtpServerError `FTP_ERR_TLS_CERT`.
   */
  static async load(options: ResolvedTlsOptions, hosts: readonly string[]): Promise<ServerTls> {
    return new ServerTls(options, await ServerTls.read(options, hosts), hosts);
  }

  private static async read(options: ResolvedTlsOptions, hosts: readonly string[]): Promise<TlsMaterial> {
    if (options.selfSigned) {
      const generated = generateSelfSignedCertificate({ hosts });
      return checkTlsMaterial(
        { text: generated.cert, origin: "the generated self-signed certificate" },
        { text: generated.key, origin: "the generated key" },
        undefined,
        [],
        true,
      );
    }
    return loadTlsMaterial({
      cert: options.cert as string,
      key: options.key as string,
      passphrase: options.passphrase,
      ca: options.ca,
    });
  }

  get selfSigned(): boolean {
    return this.material.selfSigned;
  }

  get certificate(): CertificateInfo {
    const leaf = this.material.leaf;
    return {
      subject: leaf.subject,
      issuer: leaf.issuer,
      validFrom: new Date(leaf.validFrom),
      validTo: new Date(leaf.validTo),
      fingerprint256: leaf.fingerprint256,
      pem: leaf.toString(),
      selfSigned: this.material.selfSigned,
    };
  }

  /** TLS for a new control connection, from the current certificate. */
  createSession(): SessionTls {
    return new SessionTls(this.material, { minVersion: this.options.minVersion, maxVersion: this.options.maxVersion });
  }

  /**
   * Re-reads the certificate files (a self-signed certificate is generated anew). New
   * sessions use the new material; running ones keep theirs. On failure the current
   * material stays.
   * @throws FtpServerError `FTP_ERR_TLS_CERT`.
   */
  async reload(): Promise<CertificateInfo> {
    this.material = await ServerTls.read(this.options, this.hosts);
    return this.certificate;
  }

  /** Polls the files and reloads when one changes; `onError` gets a failed reload (the old material stays). */
  watch(onReload: (info: CertificateInfo) => void, onError: (error: FtpServerError) => void): void {
    const watch = this.options.watch;
    if (watch === false || this.options.selfSigned) return;
    const interval = watch === true ? 5000 : watch;
    const files = sourceFiles({
      cert: this.options.cert as string,
      key: this.options.key as string,
      ca: this.options.ca,
    });
    const changed = () => {
      // Renewal tools write the certificate and the key one after the other: settle first.
      if (this.reloadTimer !== undefined) clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => {
        this.reloadTimer = undefined;
        this.reload().then(onReload, onError);
      }, 200);
      this.reloadTimer.unref();
    };
    for (const file of files) {
      const listener = (curr: Stats, prev: Stats) => {
        if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size || curr.ino !== prev.ino) changed();
      };
      const watcher: StatWatcher = watchFile(file, { interval, persistent: false }, listener);
      watcher.unref();
      this.watched.push([file, listener]);
    }
  }

  /** Stops watching. */
  close(): void {
    for (const [file, listener] of this.watched) unwatchFile(file, listener);
    this.watched = [];
    if (this.reloadTimer !== undefined) clearTimeout(this.reloadTimer);
    this.reloadTimer = undefined;
  }
}
