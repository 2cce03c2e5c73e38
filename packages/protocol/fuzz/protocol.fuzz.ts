// Long-run fuzzing of every parser and both session machines with fast-check. The test
// command runs the same properties 10,000 times each; this runs FUZZ_RUNS (default one
// million) per target. Reproduce a failure with FUZZ_SEED=<seed printed by fast-check>.
import fc from "fast-check";
import { describe, it } from "vitest";
import {
  ClientSession,
  CommandDecoder,
  decodeEprtArgument,
  decodeHostPort,
  FtpProtocolError,
  NEED_DATA,
  parseEpsvReply,
  parseListing,
  parseMlsxLine,
  parsePasvReply,
  RemoteProtocolError,
  ReplyDecoder,
  resolveVirtualPath,
  ServerSession,
} from "../src/index.js";
import { answerWithStubs } from "../src/testing/index.js";

const runs = Number(process.env.FUZZ_RUNS ?? 1_000_000);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const params = { numRuns: runs, ...(seed === undefined ? {} : { seed }) };

/** Runs `fn`; an exception is acceptable only when it is one of the protocol's typed errors. */
function typedOnly(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    if (!FtpProtocolError.isInstance(error)) throw error;
  }
}

const ftpText = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      "0",
      "1",
      "2",
      "5",
      ",",
      "(",
      ")",
      "|",
      "!",
      " ",
      "-",
      "\r",
      "\n",
      ".",
      ":",
      "/",
      ";",
      "=",
      "a",
      "Z",
    ),
    fc.string({ maxLength: 1 }),
  ),
  maxLength: 120,
});

describe(`fuzz (${runs} cases per target)`, () => {
  it("ReplyDecoder", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) =>
        typedOnly(() => {
          const d = new ReplyDecoder({ maxLineLength: 128 });
          d.receiveData(bytes);
          while (d.nextReply() !== NEED_DATA);
        }),
      ),
      params,
    );
  });
  it("CommandDecoder", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const d = new CommandDecoder({ maxLineLength: 128 });
        d.receiveData(bytes);
        while (d.nextLine() !== NEED_DATA);
      }),
      params,
    );
  });
  it("address parsers", () => {
    fc.assert(
      fc.property(ftpText, (text) => {
        typedOnly(() => decodeHostPort(text));
        typedOnly(() => parsePasvReply(text));
        typedOnly(() => parseEpsvReply(text));
        typedOnly(() => decodeEprtArgument(text));
      }),
      params,
    );
  });
  it("listing parsers", () => {
    fc.assert(
      fc.property(ftpText, (text) => {
        parseListing(text, { now: new Date(0) });
        parseMlsxLine(text);
      }),
      params,
    );
  });
  it("virtual paths", () => {
    fc.assert(
      fc.property(ftpText, ftpText, (cwd, input) => typedOnly(() => resolveVirtualPath(`/${cwd}`, input))),
      params,
    );
  });
  it("ClientSession on arbitrary server bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const s = new ClientSession();
        s.receiveData(bytes);
        try {
          for (let i = 0; i < 1000 && s.nextEvent() !== NEED_DATA; i++);
        } catch (error) {
          if (!RemoteProtocolError.isInstance(error)) throw error;
        }
      }),
      { ...params, numRuns: Math.max(1, Math.floor(runs / 4)) },
    );
  });
  it("ServerSession on arbitrary client bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 6 }), (chunks) => {
        const s = new ServerSession({ peerAddress: "127.0.0.1", now: 0, failedLoginDelay: 0 });
        for (const chunk of chunks) {
          s.receiveData(chunk, 0);
          answerWithStubs(s, 0);
        }
      }),
      { ...params, numRuns: Math.max(1, Math.floor(runs / 4)) },
    );
  });
});
