/** Device names Win32 reserves in every directory, with or without an extension. */
const RESERVED = /^(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])(?:\..*)?$/i;

/** Characters Win32 forbids in names: `< > : " | ? *` and the controls U+0001..U+001F. */
const FORBIDDEN = /[<>:"|?*\u0001-\u001f]/;

/**
 * Tells whether a segment from {@link splitVirtualPath} is safe to create or open on a
 * Windows-backed store. {@link splitVirtualPath} already guarantees that no segment climbs
 * or holds a separator; this adds the names that Win32 path handling rewrites or reserves:
 * - a trailing dot or space (`"..."`, `".. "`, `"a."`): Win32 strips them, so `"a."` opens
 *   `"a"` and names made only of dots and spaces are unpredictable;
 * - reserved device names (`CON`, `NUL`, `COM1`, `LPT1.txt`, ...), which open devices;
 * - `:` (alternate data streams `a:b`, `a::$DATA`; drive prefixes `C:`) and the other
 *   characters Win32 forbids.
 *
 * ftpkit refuses none of these by itself, because each is a legal POSIX name (vsftpd and
 * proftpd serve them). A server on Windows should call this for every segment and answer
 * `553 File name not allowed` (RFC 959 §4.2.2) when it returns `false`; IIS and FileZilla
 * Server refuse the same names.
 *
 * @returns `false` when Win32 would reinterpret or refuse the name; `true` otherwise.
 */
export function isWindowsSafeSegment(segment: string): boolean {
  if (segment === "" || segment === "." || segment === "..") return false;
  if (/[. ]$/.test(segment)) return false;
  if (FORBIDDEN.test(segment) || /[\0/\\]/.test(segment)) return false;
  return !RESERVED.test(segment);
}
