import { describe, expect, it } from "vitest";
import { findNetrcEntry, parseNetrc } from "./netrc.js";

const SAMPLE = `# a comment
machine ftp.example.com login alice password "pa ss\\"word" account acct
machine other.example.com
  login bob
  password secret

macdef init
cd /pub
binary

machine macro.example.com login carol password c
default login anonymous password me@example.com
machine after.default login dave password d
`;

describe("parseNetrc", () => {
  const entries = parseNetrc(SAMPLE);

  it("reads machine entries on one line or many, quoted tokens, and skips macro bodies", () => {
    expect(entries).toEqual([
      { machine: "ftp.example.com", login: "alice", password: 'pa ss"word', account: "acct" },
      { machine: "other.example.com", login: "bob", password: "secret", account: undefined },
      { machine: "macro.example.com", login: "carol", password: "c", account: undefined },
      { machine: undefined, login: "anonymous", password: "me@example.com", account: undefined },
    ]);
  });

  it("finds the host (case-insensitive), else default; entries after default are unused", () => {
    expect(findNetrcEntry(entries, "FTP.example.com")?.login).toBe("alice");
    expect(findNetrcEntry(entries, "unknown.example.com")?.login).toBe("anonymous");
    expect(findNetrcEntry(entries, "after.default")?.login).toBe("anonymous");
  });

  it("with a user from the URL, only a matching login counts", () => {
    expect(findNetrcEntry(entries, "ftp.example.com", "alice")?.password).toBe('pa ss"word');
    expect(findNetrcEntry(entries, "ftp.example.com", "zed")).toBeUndefined();
    expect(findNetrcEntry(parseNetrc("default password x"), "h", "zed")?.password).toBe("x");
  });

  it("an empty file has no entries", () => {
    expect(parseNetrc("")).toEqual([]);
    expect(parseNetrc("# only a comment\n")).toEqual([]);
  });
});
