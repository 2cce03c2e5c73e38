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
  decodeProxyHeader,
  FtpProtocolError,
  NEED_DATA,
  PROXY_V2_SIGNATURE,
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
  it("PROXY protocol header decoder (never throws, never reads past the header)", () => {
    const v1 = new TextEncoder().encode("PROXY ");
    const prefixed = (prefix: Uint8Array) =>
      fc.uint8Array({ maxLength: 300 }).map((b) => {
        const out = new Uint8Array(prefix.length + b.length);
        out.set(prefix);
        out.set(b, prefix.length);
        return out;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), prefixed(v1), prefixed(PROXY_V2_SIGNATURE)), (bytes) => {
        const r = decodeProxyHeader(bytes);
        if (r !== NEED_DATA && r.type === "header" && (r.consumed < 15 || r.consumed > bytes.length)) {
          throw new Error(`consumed ${r.consumed} of ${bytes.length}`);
        }
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
  it("ServerSession with its defences on, on arbitrary client bytes and a moving clock", () => {
    const options = fc.record({
      lineTimeout: fc.constantFrom(0, 1, 100, 1000),
      commandRate: fc.constantFrom(0, 1, 10, 1000),
      commandBurst: fc.integer({ min: 1, max: 20 }),
      floodTimeout: fc.constantFrom(0, 1, 500),
      maxQueuedCommands: fc.integer({ min: 1, max: 16 }),
      loginTimeout: fc.constantFrom(1, 1000, 60_000),
      idleTimeout: fc.constantFrom(1, 1000),
      failedLoginDelay: fc.constantFrom(0, 10),
    });
    const steps = fc.array(fc.tuple(fc.uint8Array({ maxLength: 60 }), fc.nat(3000)), { maxLength: 8 });
    fc.assert(
      fc.property(options, steps, (o, input) => {
        const s = new ServerSession({ peerAddress: "127.0.0.1", now: 0, ...o });
        let now = 0;
        answerWithStubs(s, now);
        for (const [bytes, dt] of input) {
          s.receiveData(bytes, now);
          answerWithStubs(s, now);
          const until = now + dt;
          for (let i = 0; ; i++) {
            const at = s.pollTimeout();
            if (at === undefined || at > until) break;
            // A deadline that does not move time forward would be a busy loop in the I/O layer.
            if (i > 10_000) throw new Error("pollTimeout does not advance");
            now = Math.max(now, at);
            s.handleTimeout(now);
            answerWithStubs(s, now);
          }
          now = until;
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
