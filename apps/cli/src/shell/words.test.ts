import { describe, expect, it } from "vitest";
import { hasGlob, matchNames } from "./glob.js";
import { escapeWord, splitLine } from "./words.js";

describe("splitLine", () => {
  it.each([
    ["get a b", ["get", "a", "b"], "b"],
    ["get my\\ file.txt", ["get", "my file.txt"], "my file.txt"],
    ['get "my file.txt" x', ["get", "my file.txt", "x"], "x"],
    ["put 'a \"b\"'", ["put", 'a "b"'], 'a "b"'],
    ["ls ", ["ls"], ""],
    ["", [], ""],
  ])("%j", (line, words, partial) => {
    const split = splitLine(line);
    expect(split.words).toEqual(words);
    expect(split.partial).toBe(partial);
  });

  it("reports an open quote and keeps the raw partial word", () => {
    expect(splitLine('get "my fi')).toMatchObject({ openQuote: '"', partial: "my fi", partialRaw: '"my fi' });
    expect(splitLine("get my\\ fi")).toMatchObject({ partialRaw: "my\\ fi", partial: "my fi" });
  });

  it("escapeWord round-trips through splitLine", () => {
    for (const word of ["plain", "with space", 'quo"te', "it's", "back\\slash", " lead"]) {
      expect(splitLine(`get ${escapeWord(word)}`).words[1]).toBe(word);
    }
  });
});

describe("globs", () => {
  const names = ["a.txt", "b.txt", "c.bin", ".hidden.txt", "data[1].csv", "x"];
  it.each([
    ["*.txt", ["a.txt", "b.txt"]],
    ["?.bin", ["c.bin"]],
    ["[ab].txt", ["a.txt", "b.txt"]],
    ["[!a].txt", ["b.txt"]],
    [".*", [".hidden.txt"]],
    ["*", ["a.txt", "b.txt", "c.bin", "data[1].csv", "x"]],
    ["data[1].csv", []],
    ["data*.csv", ["data[1].csv"]],
  ])("%s", (pattern, expected) => {
    expect(matchNames(names, pattern)).toEqual(expected);
  });
  it("hasGlob", () => {
    expect(hasGlob("a*.txt")).toBe(true);
    expect(hasGlob("plain.txt")).toBe(false);
  });
});
