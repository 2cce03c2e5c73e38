/**
 * A small `.netrc` reader (the format of BSD ftp(1), as curl and lftp read it): tokens
 * separated by white space; `machine NAME` starts an entry, `default` is the entry for every
 * other host (it must come last; entries after it are ignored, as ftp(1) does); `login`,
 * `password` and `account` give its fields; `macdef NAME` starts a macro whose body runs to
 * the next empty line (skipped). Tokens may be double-quoted with `\` escapes (GNU inetutils,
 * curl); a `#` at the start of a token comments out the rest of the line.
 */

export interface NetrcEntry {
  /** The host, or undefined for the `default` entry. */
  readonly machine: string | undefined;
  readonly login: string | undefined;
  readonly password: string | undefined;
  readonly account: string | undefined;
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    let token = "";
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        token += text[i];
        i++;
      }
      i++; // closing quote
    } else {
      while (i < text.length && !/\s/.test(text[i] as string)) {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        token += text[i];
        i++;
      }
    }
    tokens.push(token);
  }
  return tokens;
}

/** Removes `macdef` bodies: from the line after `macdef NAME` to the next empty line. */
function withoutMacros(text: string): string {
  const lines = text.split(/\r?\n/);
  const kept: string[] = [];
  let inMacro = false;
  for (const line of lines) {
    if (inMacro) {
      if (line.trim() === "") inMacro = false;
      kept.push("");
      continue;
    }
    kept.push(line);
    if (/(^|\s)macdef\s+\S+/.test(line.replace(/#.*$/, ""))) inMacro = true;
  }
  return kept.join("\n");
}

/** Parses a `.netrc` file's text into its entries, in order (the `default` entry last). */
export function parseNetrc(text: string): NetrcEntry[] {
  const tokens = tokenize(withoutMacros(text));
  const entries: NetrcEntry[] = [];
  let current: { machine: string | undefined; login?: string; password?: string; account?: string } | undefined;
  const flush = () => {
    if (current !== undefined) {
      entries.push({
        machine: current.machine,
        login: current.login,
        password: current.password,
        account: current.account,
      });
    }
    current = undefined;
  };
  for (let i = 0; i < tokens.length; i++) {
    const key = tokens[i] as string;
    const value = tokens[i + 1];
    switch (key) {
      case "machine":
        flush();
        current = { machine: value };
        i++;
        break;
      case "default":
        flush();
        current = { machine: undefined };
        break;
      case "login":
      case "password":
      case "account":
        if (current !== undefined && value !== undefined) current[key] = value;
        i++;
        break;
      case "macdef":
        i++; // its name; the body was removed
        break;
      default:
        break; // unknown tokens are ignored (ftp(1) warns, curl ignores)
    }
  }
  flush();
  // Entries after `default` are never used (ftp(1): "default ... must be the last entry").
  const firstDefault = entries.findIndex((e) => e.machine === undefined);
  return firstDefault === -1 ? entries : entries.slice(0, firstDefault + 1);
}

/**
 * The entry for `host`: the first `machine` entry with that name (case-insensitive), else
 * the `default` entry. With `user`, only an entry whose login is that user (or that has no
 * login) matches, as curl does when the URL names the user.
 */
export function findNetrcEntry(entries: readonly NetrcEntry[], host: string, user?: string): NetrcEntry | undefined {
  const fits = (e: NetrcEntry) => user === undefined || e.login === undefined || e.login === user;
  const lower = host.toLowerCase();
  return (
    entries.find((e) => e.machine !== undefined && e.machine.toLowerCase() === lower && fits(e)) ??
    entries.find((e) => e.machine === undefined && fits(e))
  );
}
