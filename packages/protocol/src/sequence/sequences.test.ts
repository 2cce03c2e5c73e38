import { describe, expect, it } from "vitest";
import { VERBS } from "../command/index.js";
import { interpretReply, isReplyAllowed, isTransferVerb, SEQUENCES } from "./sequences.js";

describe("RFC 959 §5.4 sequences", () => {
  it("has an entry for every verb", () => {
    for (const verb of VERBS) expect(SEQUENCES[verb]).toBeDefined();
  });
  it.each([
    ["USER", 331, "intermediate"],
    ["USER", 230, "success"],
    ["PASS", 332, "intermediate"],
    ["PASS", 530, "permanent"],
    ["RNFR", 350, "intermediate"],
    ["REST", 350, "intermediate"],
    ["RETR", 150, "preliminary"],
    ["RETR", 125, "preliminary"],
    ["RETR", 226, "success"],
    ["RETR", 426, "transient"],
    ["STOR", 452, "transient"],
    ["STOR", 552, "permanent"],
    ["ABOR", 225, "success"],
    ["REIN", 120, "preliminary"],
    ["MKD", 257, "success"],
    ["XMKD", 257, "success"],
    ["PWD", 257, "success"],
    ["EPSV", 229, "success"],
    ["AUTH", 234, "success"],
    ["FEAT", 211, "success"],
    // Unlisted codes fall back to the first digit (RFC 959 §4.2.1).
    ["NOOP", 299, "success"],
    ["NOOP", 499, "transient"],
  ] as const)("%s answered %i is %s", (verb, code, outcome) => {
    expect(interpretReply(verb, code)).toBe(outcome);
  });
  it("knows which replies are legal", () => {
    expect(isReplyAllowed("RETR", 150)).toBe(true);
    expect(isReplyAllowed("RETR", 257)).toBe(false);
    expect(isReplyAllowed("CWD", 250)).toBe(true);
    expect(isReplyAllowed("USER", 421)).toBe(true);
    expect(isReplyAllowed("PWD", 226)).toBe(false);
  });
  it("marks the data-connection commands", () => {
    for (const verb of ["RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD"] as const)
      expect(isTransferVerb(verb)).toBe(true);
    for (const verb of ["REIN", "USER", "PASV", "ABOR"] as const) expect(isTransferVerb(verb)).toBe(false);
  });
});
