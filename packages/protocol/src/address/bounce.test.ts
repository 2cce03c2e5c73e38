import { describe, expect, it } from "vitest";
import { LocalProtocolError } from "../errors/index.js";
import { checkActiveDataTarget } from "./bounce.js";
import { decodeEprtArgument } from "./eprt.js";
import { decodeHostPort } from "./host-port.js";

function failure(run: () => void): { code: string; replyHint: number } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (!LocalProtocolError.isInstance(error)) throw error;
    return { code: error.code, replyHint: error.replyHint };
  }
}

describe("checkActiveDataTarget (RFC 2577 §3)", () => {
  it.each([
    ["203.0.113.5", 50000, "203.0.113.5", undefined],
    ["203.0.113.5", 50000, "::ffff:203.0.113.5", undefined], // dual-stack Node peer
    ["2001:db8::5", 50000, "2001:DB8:0::5", undefined],
    ["fe80::5", 50000, "fe80::5%eth0", undefined],
    ["203.0.113.6", 50000, "203.0.113.5", { code: "FTP_ERR_BOUNCE_HOST", replyHint: 500 }],
    ["127.0.0.1", 50000, "203.0.113.5", { code: "FTP_ERR_BOUNCE_HOST", replyHint: 500 }],
    ["203.0.113.5", 25, "203.0.113.5", { code: "FTP_ERR_BOUNCE_PORT", replyHint: 504 }],
    ["203.0.113.5", 1023, "203.0.113.5", { code: "FTP_ERR_BOUNCE_PORT", replyHint: 504 }],
    ["203.0.113.5", 1024, "203.0.113.5", undefined],
    ["203.0.113.5", 0, "203.0.113.5", { code: "FTP_ERR_BOUNCE_PORT", replyHint: 504 }],
    ["203.0.113.5", 50000, "not-an-ip", { code: "FTP_ERR_BOUNCE_HOST", replyHint: 500 }],
  ])("target %s:%d from peer %s → %j", (host, port, peer, expected) => {
    expect(failure(() => checkActiveDataTarget({ host, port }, peer))).toEqual(expected);
  });

  it("relaxations are opt-in", () => {
    expect(
      failure(() => checkActiveDataTarget({ host: "10.0.0.9", port: 21 }, "10.0.0.1", { allowForeignHost: true })),
    ).toEqual({ code: "FTP_ERR_BOUNCE_PORT", replyHint: 504 });
    expect(
      failure(() =>
        checkActiveDataTarget({ host: "10.0.0.9", port: 21 }, "10.0.0.1", {
          allowForeignHost: true,
          allowPrivilegedPort: true,
        }),
      ),
    ).toBeUndefined();
  });

  it("composes with the decoders", () => {
    expect(failure(() => checkActiveDataTarget(decodeHostPort("10,0,0,1,0,25"), "::ffff:10.0.0.1"))).toEqual({
      code: "FTP_ERR_BOUNCE_PORT",
      replyHint: 504,
    });
    expect(failure(() => checkActiveDataTarget(decodeEprtArgument("|2|::ffff:10.0.0.1|5000|"), "10.0.0.1"))).toBe(
      undefined,
    );
  });
});
