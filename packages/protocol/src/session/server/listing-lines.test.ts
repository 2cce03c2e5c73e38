import { describe, expect, it } from "vitest";
import { listingLineFormatter } from "./listing-lines.js";
import type { EntryInfo } from "./types.js";

const now = new Date(Date.UTC(2026, 10, 26, 12, 0, 0));
const file = (name: string): EntryInfo => ({ name, type: "file", size: 3, modifiedAt: new Date(Date.UTC(2026, 0, 2)) });
const request = (kind: "list" | "nlst" | "mlsd", listOptions = "") => ({
  kind,
  listOptions,
  facts: ["type", "size"],
  permissions: new Set<"read">(["read"]),
});

describe("listingLineFormatter (RFC 959 §4.1.3, RFC 3659 §7.2)", () => {
  it("gives each kind's line with its CRLF", () => {
    expect(listingLineFormatter(request("nlst"), now)({ name: "a.txt" })).toBe("a.txt\r\n");
    expect(listingLineFormatter(request("list"), now)(file("a.txt"))).toMatch(/^-rw.* 3 Jan .*2026 a\.txt\r\n$/);
    expect(listingLineFormatter(request("mlsd"), now)(file("a.txt"))).toBe("type=file;size=3; a.txt\r\n");
  });

  it("hides dot files from LIST and NLST unless -a, never from MLSD", () => {
    expect(listingLineFormatter(request("list"), now)(file(".hidden"))).toBeUndefined();
    expect(listingLineFormatter(request("nlst"), now)({ name: ".hidden" })).toBeUndefined();
    expect(listingLineFormatter(request("list", "la"), now)(file(".hidden"))).toMatch(/\.hidden\r\n$/);
    expect(listingLineFormatter(request("nlst", "A"), now)({ name: ".hidden" })).toBe(".hidden\r\n");
    expect(listingLineFormatter(request("mlsd"), now)(file(".hidden"))).toBe("type=file;size=3; .hidden\r\n");
  });

  it("never sends a name holding CR or LF (it would forge a line)", () => {
    for (const kind of ["list", "nlst", "mlsd"] as const) {
      expect(listingLineFormatter(request(kind, "a"), now)(file("x\r\n-rw-r--r-- forged"))).toBeUndefined();
      expect(listingLineFormatter(request(kind, "a"), now)(file("x\ny"))).toBeUndefined();
    }
  });
});
