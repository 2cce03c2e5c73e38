/**
 * Splitting a shell line into words: white space separates, `"..."` and `'...'` quote, `\`
 * escapes the next character (so `get my\ file.txt` and `get "my file.txt"` are the same).
 */

export interface SplitLine {
  readonly words: string[];
  /** The last word as typed (quotes and escapes included), "" after trailing white space. */
  readonly partialRaw: string;
  /** The last word unquoted. */
  readonly partial: string;
  /** Whether the line ends inside a quote. */
  readonly openQuote: '"' | "'" | undefined;
}

/** Splits `line`; the last word counts as partial (for completion) unless the line ends in white space. */
export function splitLine(line: string): SplitLine {
  const words: string[] = [];
  let current: string | undefined;
  let raw = "";
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote !== undefined) {
      raw += c;
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) {
        i++;
        raw += line[i];
        current = (current ?? "") + line[i];
      } else current = (current ?? "") + c;
      continue;
    }
    if (c === " " || c === "\t") {
      if (current !== undefined) words.push(current);
      current = undefined;
      raw = "";
      continue;
    }
    raw += c;
    if (c === '"' || c === "'") {
      quote = c;
      current ??= "";
    } else if (c === "\\" && i + 1 < line.length) {
      i++;
      raw += line[i];
      current = (current ?? "") + line[i];
    } else {
      current = (current ?? "") + c;
    }
  }
  if (current !== undefined) words.push(current);
  const endsInSpace = current === undefined;
  return {
    words,
    partialRaw: endsInSpace ? "" : raw,
    partial: endsInSpace ? "" : (words.at(-1) ?? ""),
    openQuote: quote,
  };
}

/** Writes a word so that {@link splitLine} reads it back (spaces, quotes and backslashes escaped). */
export function escapeWord(word: string): string {
  return word.replace(/[\s"'\\]/g, (c) => `\\${c}`);
}
