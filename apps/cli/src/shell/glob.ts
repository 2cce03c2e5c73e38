/**
 * Glob patterns for `mget` and `mput`: `*` (any run of characters), `?` (one character) and
 * `[abc]`/`[a-z]`/`[!abc]` classes, matched against one name (no `/`), as sh(1) does. Names
 * starting with `.` match only a pattern starting with `.`.
 */

export function hasGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** The RegExp for one glob segment. */
export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end === -1) {
        source += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      source += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = end;
    } else source += c.replace(/[.+^${}()|\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "u");
}

/** The names matching `pattern` (dot files only for a pattern that starts with `.`), in order. */
export function matchNames(names: readonly string[], pattern: string): string[] {
  const re = globToRegExp(pattern);
  return names.filter((name) => re.test(name) && (!name.startsWith(".") || pattern.startsWith(".")));
}
