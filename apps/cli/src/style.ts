/**
 * Colour, only where it helps (errors, directories in `ls -l`, the serve log) and only on a
 * terminal. NO_COLOR (https://no-color.org: present and not empty) always wins; FORCE_COLOR
 * turns colour on for a non-terminal (tests, `less -R`); TERM=dumb turns it off.
 */
export interface Style {
  readonly enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

export function colorEnabled(
  stream: { readonly isTTY?: boolean } | undefined,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined && force !== "" && force !== "0" && force !== "false") return true;
  if (env["TERM"] === "dumb") return false;
  return stream?.isTTY === true;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

export function makeStyle(enabled: boolean): Style {
  if (!enabled) {
    return { enabled, red: plain, green: plain, yellow: plain, blue: plain, bold: plain, dim: plain };
  }
  return {
    enabled,
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    blue: sgr(34, 39),
    bold: sgr(1, 22),
    dim: sgr(2, 22),
  };
}
