import { describe, expect, it } from "vitest";
import { safeDecodeEprtArgument } from "./eprt.js";
import { safeParseEpsvArgument, safeParseEpsvReply } from "./epsv.js";
import { safeDecodeHostPort } from "./host-port.js";
import { safeNormalizeIp } from "./ip.js";
import { safeParsePasvReply } from "./pasv.js";

/**
 * Regression guard against super-linear regexes (ReDoS): a first version trimmed with
 * `/^[ \t]+|[ \t]+$/`, which took 3 s on 50,000 spaces. Every parser must stay linear;
 * the bound is three orders of magnitude above the real cost, so it never flakes.
 */
describe("pathological input stays fast", () => {
  const n = 100_000;
  const inputs = [
    `1,${" ".repeat(n)}1`,
    " ".repeat(n),
    "\t".repeat(n),
    "1,".repeat(n / 2),
    "1, ".repeat(n / 3),
    "1".repeat(n),
    "|||".repeat(n / 3),
    `(${"!".repeat(n)}`,
    ":".repeat(n),
    "1:".repeat(n / 2),
    "ffff:".repeat(n / 5),
    `|1|${"1.".repeat(n / 2)}|`,
  ];
  const parsers = [
    safeParsePasvReply,
    safeParseEpsvReply,
    safeParseEpsvArgument,
    safeDecodeEprtArgument,
    safeDecodeHostPort,
    safeNormalizeIp,
  ];
  it.each(parsers.map((parser) => [parser.name, parser] as const))("%s", (_name, parser) => {
    for (const input of inputs) {
      const start = performance.now();
      const result = parser(input);
      // Only EPSV accepts any of these: blank is a bare `EPSV`.
      if (parser !== safeParseEpsvArgument) expect(result.success).toBe(false);
      expect(performance.now() - start).toBeLessThan(2000);
    }
  });
});
