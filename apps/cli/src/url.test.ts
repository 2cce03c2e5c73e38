import { describe, expect, it } from "vitest";
import { CliUsageError } from "./errors.js";
import { parseFtpUrl, redact } from "./url.js";

describe("parseFtpUrl", () => {
  const CASES: [string, Partial<ReturnType<typeof parseFtpUrl>>][] = [
    ["ftp://example.com", { scheme: "ftp", host: "example.com", port: 21, path: ".", directory: true }],
    ["ftp://example.com/", { path: ".", directory: true, user: undefined, password: undefined }],
    [
      "ftp://a%40b:p%3Ass@h:2121/pub/file.txt",
      { user: "a@b", password: "p:ss", port: 2121, path: "pub/file.txt", directory: false },
    ],
    ["ftp://h/dir/", { path: "dir", directory: true }],
    ["ftp://h/%2Fetc/motd", { path: "/etc/motd" }],
    ["ftp://h//etc/motd", { path: "/etc/motd" }],
    ["ftp://h/my%20file%23%3F.txt", { path: "my file#?.txt" }],
    ["ftps://h/x", { scheme: "ftps", port: 990, path: "x" }],
    ["ftps://h:2990/x", { scheme: "ftps", port: 2990, explicitPort: true }],
    ["ftpes://h/x", { scheme: "ftpes", port: 21 }],
    ["ftp://[::1]:2121/x", { host: "::1", port: 2121 }],
    ["FTP://Example.COM/X", { host: "example.com", path: "X" }],
  ];
  it.each(CASES)("%s", (text, expected) => {
    expect(parseFtpUrl(text)).toMatchObject(expected);
  });

  it("never shows the password in display", () => {
    expect(parseFtpUrl("ftp://bob:hunter2@h:21/a/b").display).toBe("ftp://bob@h/a/b");
  });

  it.each([
    ["http://h/x", /unsupported URL scheme http/],
    ["ftp://", /malformed URL|no host/],
    ["ftp://h/a#b", /fragment/],
    ["ftp://h/a?b", /query/],
    ["ftp://h/%0D%0ADELE%20x", /CR, LF or NUL/],
    ["ftp://h/%E0%A4%A", /percent-encoding/],
    ["ftp://h:99999/", /malformed URL/],
    ["example.com/file", /not a URL/],
  ])("refuses %s", (text, message) => {
    expect(() => parseFtpUrl(text)).toThrow(CliUsageError);
    expect(() => parseFtpUrl(text)).toThrow(message);
  });

  it("redacts passwords in messages about URLs that did not parse", () => {
    expect(redact("ftp://bob:hunter2@h/x#y")).toBe("ftp://bob:****@h/x#y");
    expect(() => parseFtpUrl("ftp://bob:hunter2@h/x#y")).toThrow(/^((?!hunter2).)*$/);
  });
});
