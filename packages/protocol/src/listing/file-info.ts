/**
 * What a directory listing says about one entry. One shape for every listing format
 * (Unix `ls -l`, DOS/IIS, EPLF, NetWare, MLSD/MLST): each field is set only when the line
 * carried it, so an absent field means "the server did not say", never a default.
 */

/**
 * The entry's type. Only the types FTP clients act on are distinguished; block and character
 * devices, FIFOs, sockets and anything else are `"unknown"` (their exact kind survives in
 * {@link FileInfo.unixMode}'s `S_IFMT` bits when the listing showed it).
 */
export type FileType = "file" | "directory" | "symlink" | "unknown";

/**
 * One entry of a directory listing.
 *
 * Time stamps (the same caveats as basic-ftp's `FileInfo`):
 * - {@link FileInfo.rawModifiedAt} is the time text exactly as the server showed it, whenever it showed one.
 * - {@link FileInfo.modifiedAt} is set only when the text names an unambiguous instant, and it
 *   is always read as UTC:
 *   - MLSD/MLST `modify` facts are UTC by definition (RFC 3659 §2.3 and §7.5.3).
 *   - LIST lines (Unix, DOS/IIS, NetWare) carry no time zone at all. vsftpd, pyftpdlib and
 *     proftpd print UTC by default, IIS and FileZilla Server print server-local time, so the
 *     value is only as good as the server's choice.
 *   - A Unix or NetWare LIST line for a recent file shows `HH:MM` and no year. The year is then
 *     inferred relative to the caller-supplied `now` (time is an input: the parsers never read
 *     the clock): the date is put in `now`'s year, unless that lands more than 6 days after
 *     `now` (lftp's tolerance for clock skew and time zones), in which case it belongs to the
 *     previous year. A small tolerance rather than `ls`'s six months, because some servers show
 *     `HH:MM` for older files too (FileZilla Server 0.9: 350 days; IIS: the current year).
 *     Without `now`, `modifiedAt` is left unset for such lines.
 *   - EPLF `m` facts are UTC seconds since the epoch.
 */
export interface FileInfo {
  /** The entry's name (MLST: the pathname) exactly as sent: leading and trailing spaces kept. */
  name: string;
  type: FileType;
  /** Size in bytes. Unset for device files (which show `major, minor` instead). */
  size?: number;
  /** The modification time, read as UTC; see the interface notes on year inference. */
  modifiedAt?: Date;
  /** The modification time text exactly as shown by the server (e.g. `Jan 31 14:15`, `20240131141500`). */
  rawModifiedAt?: string;
  /**
   * The permission letters as shown, without the type letter and ACL marker: `rwxr-xr-x`,
   * `rwsr-x--T`. For NetWare the rights inside the brackets (`RWCEAFMS`); for MLSx, rendered
   * from `unix.mode` when the server sent it.
   */
  permissions?: string;
  /**
   * The Unix mode: permission bits (`0o7777`, setuid/setgid/sticky included) plus, for Unix LIST
   * lines, the file type bits of `S_IFMT` (`0o170000`: `0o040000` directory, `0o020000`
   * character device, ...). From MLSx `unix.mode`, EPLF `up`, exactly the bits the server sent.
   */
  unixMode?: number;
  /** The owner column or `unix.ownername`/`unix.owner`/`unix.uid` fact (names or numeric ids, as sent). */
  owner?: string;
  /** The group column or `unix.groupname`/`unix.group`/`unix.gid` fact. */
  group?: string;
  /** The hard link count column of a Unix LIST line. */
  hardLinks?: number;
  /** A symlink's target: the text after ` -> ` in Unix LIST, or from MLSx `OS.unix=slink:<target>`. */
  target?: string;
  /**
   * MLSD/MLST facts (RFC 3659 §7), keys lower-cased (fact names are case-insensitive,
   * RFC 3659 §7.1), values exactly as sent. `facts.type` tells `cdir`/`pdir` apart from `dir`.
   * A null-prototype record, so that any fact name (even `__proto__`) is an ordinary key.
   */
  facts?: Readonly<Record<string, string>>;
  /** The original line, without its line terminator. */
  raw: string;
}
