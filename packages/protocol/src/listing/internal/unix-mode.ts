/**
 * Unix mode bits and their `ls -l` spelling. @internal
 */

/** `S_IFMT`: the file type bits of `st_mode`. */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

/** `ls -l` type letters and their `S_IFMT` bits. Solaris doors (`D`) and others have none. */
const TYPE_BITS: ReadonlyMap<string, number> = new Map([
  ["-", S_IFREG],
  ["d", S_IFDIR],
  ["l", S_IFLNK],
  ["b", S_IFBLK],
  ["c", S_IFCHR],
  ["p", S_IFIFO],
  ["s", S_IFSOCK],
]);

/** The `S_IFMT` bits of an `ls -l` type letter (0 when the letter has none). */
export function typeBitsOfLetter(letter: string): number {
  return TYPE_BITS.get(letter) ?? 0;
}

/** The `ls -l` type letter for a mode's `S_IFMT` bits, or undefined when there are none. */
export function letterOfTypeBits(mode: number): string | undefined {
  const bits = mode & S_IFMT;
  for (const [letter, value] of TYPE_BITS) if (value === bits) return letter;
  return undefined;
}

/**
 * The permission bits of nine `ls -l` permission letters (`rwsr-xr-T`). Shorter strings are
 * read as if the missing trailing letters were `-` (an embedded server in basic-ftp issue #193
 * prints eight). `s`/`S` set setuid/setgid, `t`/`T` the sticky bit; System V `l`/`L` in the
 * group execute slot (mandatory locking) is setgid without group execute.
 */
export function permissionBits(letters: string): number {
  const at = (i: number) => letters.charAt(i);
  let mode = 0;
  if (at(0) === "r") mode |= 0o400;
  if (at(1) === "w") mode |= 0o200;
  mode |= execBits(at(2), 0o100, 0o4000);
  if (at(3) === "r") mode |= 0o040;
  if (at(4) === "w") mode |= 0o020;
  const groupExec = at(5);
  mode |= groupExec === "l" || groupExec === "L" ? 0o2000 : execBits(groupExec, 0o010, 0o2000);
  if (at(6) === "r") mode |= 0o004;
  if (at(7) === "w") mode |= 0o002;
  mode |= execBits(at(8), 0o001, 0o1000, true);
  return mode;
}

function execBits(letter: string, exec: number, special: number, sticky = false): number {
  const set = sticky ? "t" : "s";
  const unset = sticky ? "T" : "S";
  if (letter === "x") return exec;
  if (letter === set) return exec | special;
  if (letter === unset) return special;
  return 0;
}

/** The nine `ls -l` permission letters of a mode (`rwxr-sr-t`). */
export function permissionLetters(mode: number): string {
  const triple = (shift: number, special: boolean, set: string, unset: string) => {
    const bits = (mode >> shift) & 7;
    const exec = (bits & 1) !== 0;
    const x = special ? (exec ? set : unset) : exec ? "x" : "-";
    return ((bits & 4) !== 0 ? "r" : "-") + ((bits & 2) !== 0 ? "w" : "-") + x;
  };
  return (
    triple(6, (mode & 0o4000) !== 0, "s", "S") +
    triple(3, (mode & 0o2000) !== 0, "s", "S") +
    triple(0, (mode & 0o1000) !== 0, "t", "T")
  );
}
