/**
 * curl-style FTP URLs: `ftp://user:password@host:port/path` and `ftps://` (implicit TLS, port
 * 990) and `ftpes://` (explicit TLS, as FileZilla writes it). RFC 1738 §3.2.2: the user and password are percent-encoded, and the path is relative
 * to the login directory; a path starting with `%2F` (or `//`) is absolute. A trailing `/`
 * names a directory (`put file ftp://host/dir/` uploads into `dir`), as curl reads it.
 */
import { posix } from "node:path";
import { CliUsageError } from "./errors.js";

export interface FtpUrl {
  /** `ftp` (plain, or explicit TLS with `--tls`), `ftpes` (explicit TLS) or `ftps` (implicit TLS). */
  readonly scheme: "ftp" | "ftpes" | "ftps";
  /** Host name or address (IPv6 without brackets). */
  readonly host: string;
  /** The port, default 21 (`ftps`: 990). */
  readonly port: number;
  /** Whether the URL gave the port. */
  readonly explicitPort: boolean;
  /** The decoded user, when the URL has one. */
  readonly user: string | undefined;
  /** The decoded password, when the URL has one. */
  readonly password: string | undefined;
  /**
   * The remote path: relative to the login directory (`a/b.txt`, `.` for the URL's root) or
   * absolute (`/etc/motd`, from `%2Fetc/motd`). No trailing slash (except `/` itself).
   */
  readonly path: string;
  /** The URL ended with `/` (or named the login directory): a directory. */
  readonly directory: boolean;
  /** The URL for messages: the password is never shown. */
  readonly display: string;
}

const SCHEMES = new Set(["ftp:", "ftps:", "ftpes:"]);

function decode(part: string, what: string, text: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new CliUsageError(`malformed URL ${redact(text)}: bad percent-encoding in the ${what}`);
  }
}

/** `text` with any password replaced by `****` (for messages about a URL that did not parse). */
export function redact(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, "$1:****@");
}

/** True when `text` looks like a URL (has a scheme), as opposed to a local path. */
export function isUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

/**
 * Parses an `ftp://` or `ftps://` URL.
 * @throws CliUsageError (exit 2) naming what is wrong: the scheme, the host, the port, a
 *   query or fragment (a `#` or `?` in a file name must be written `%23`, `%3F`), a NUL/CR/LF.
 */
export function parseFtpUrl(text: string): FtpUrl {
  if (!isUrl(text)) throw new CliUsageError(`not a URL: ${text} (expected ftp://host/path or ftps://host/path)`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliUsageError(`malformed URL: ${redact(text)}`);
  }
  if (!SCHEMES.has(url.protocol)) {
    throw new CliUsageError(
      `unsupported URL scheme ${url.protocol.slice(0, -1)} in ${redact(text)} (use ftp://, ftps:// or ftpes://)`,
    );
  }
  const scheme = url.protocol === "ftps:" ? "ftps" : url.protocol === "ftpes:" ? "ftpes" : "ftp";
  if (url.hostname === "") throw new CliUsageError(`malformed URL ${redact(text)}: no host`);
  if (url.search !== "" || url.hash !== "") {
    throw new CliUsageError(
      `malformed URL ${redact(text)}: it has a ${url.search !== "" ? "query (?)" : "fragment (#)"}; write ? as %3F and # as %23 in file names`,
    );
  }
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const explicitPort = url.port !== "";
  const port = explicitPort ? Number(url.port) : scheme === "ftps" ? 990 : 21;
  if (port === 0) throw new CliUsageError(`malformed URL ${redact(text)}: port 0`);
  const user = url.username === "" ? undefined : decode(url.username, "user", text);
  const password = url.password === "" ? undefined : decode(url.password, "password", text);
  // The path after the authority: one leading "/" separates it (RFC 1738); decode per segment.
  const raw = url.pathname.startsWith("/") ? url.pathname.slice(1) : url.pathname;
  const decoded = raw
    .split("/")
    .map((segment) => decode(segment, "path", text))
    .join("/");
  if (/[\r\n\0]/.test(decoded)) throw new CliUsageError(`malformed URL ${redact(text)}: CR, LF or NUL in the path`);
  const directory = decoded === "" || decoded.endsWith("/");
  let path = decoded.length > 1 ? decoded.replace(/\/+$/, "") : decoded;
  if (path === "") path = decoded.startsWith("/") ? "/" : ".";
  const display = `${scheme}://${user === undefined ? "" : `${encodeURIComponent(user)}@`}${url.host}${url.pathname}`;
  return { scheme, host, port, explicitPort, user, password, path, directory, display };
}

/** The last path segment (`""` for the login directory and `/`). */
export function remoteBasename(path: string): string {
  return path === "." || path === "/" ? "" : posix.basename(path);
}

/** The parent of a remote path as the client takes it (relative paths stay relative). */
export function remoteDirname(path: string): string {
  return posix.dirname(path);
}

/** `child` inside remote directory `dir`. */
export function remoteJoin(dir: string, child: string): string {
  if (child.startsWith("/")) return child;
  if (dir === "." || dir === "") return child;
  return dir.endsWith("/") ? `${dir}${child}` : `${dir}/${child}`;
}
