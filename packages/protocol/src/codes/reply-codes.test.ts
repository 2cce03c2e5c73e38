import { describe, expect, it } from "vitest";
import { describeReplyCode, isValidReplyCode, REPLY_CODES, replyClass, replyGroup } from "./reply-codes.js";

describe("reply codes", () => {
  it.each([
    [150, "preliminary", "file-system"],
    [226, "completion", "connections"],
    [331, "intermediate", "authentication"],
    [425, "transient", "connections"],
    [530, "permanent", "authentication"],
    [500, "permanent", "syntax"],
    [211, "completion", "information"],
    [631, "protected", "authentication"],
  ] as const)("%i is %s / %s (RFC 959 §4.2.1)", (code, cls, group) => {
    expect(replyClass(code)).toBe(cls);
    expect(replyGroup(code)).toBe(group);
  });

  it("lists every RFC 959 code with a meaning", () => {
    for (const code of [
      110, 120, 125, 150, 200, 202, 211, 212, 213, 214, 215, 220, 221, 225, 226, 227, 230, 250, 257,
    ]) {
      expect(REPLY_CODES.get(code)?.rfc).toBe("959");
    }
    for (const code of [
      331, 332, 350, 421, 425, 426, 450, 451, 452, 500, 501, 502, 503, 504, 530, 532, 550, 551, 552, 553,
    ]) {
      expect(REPLY_CODES.get(code)?.meaning.length).toBeGreaterThan(5);
    }
    expect(REPLY_CODES.get(229)?.rfc).toBe("2428");
    expect(REPLY_CODES.get(234)?.rfc).toBe("2228");
    expect(REPLY_CODES.get(521)?.rfc).toBe("4217");
  });

  it("rejects numbers that are not reply codes", () => {
    for (const n of [0, 99, 600 + 70, 700, 160, 1000, 2.5, -200]) {
      expect(isValidReplyCode(n)).toBe(false);
      expect(() => replyClass(n)).toThrow(RangeError);
    }
  });

  it("describes unlisted codes from their digits", () => {
    const d = describeReplyCode(259);
    expect(d.known).toBe(false);
    expect(d.class).toBe("completion");
    expect(d.group).toBe("file-system");
    expect(describeReplyCode(550).known).toBe(true);
  });
});
