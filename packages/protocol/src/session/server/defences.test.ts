/**
 * The server session's defences against slow and fast senders (Rule 5 of server-session.ts):
 * the command-line timeout ("slowloris"), the command rate with back-pressure and the flood
 * close, and `handleDisconnect`. Time is an input: every test drives the clock by hand.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { NEED_DATA, PAUSED } from "../../sentinels.js";
import { isReplyAllowed } from "../../sequence/index.js";
import { answerWithStubs } from "../../testing/index.js";
import { FLOOD_BACKLOG, ServerSession } from "./server-session.js";
import type { ServerEvent, ServerSessionOptions } from "./types.js";

const enc = (s: string | number[]) => (typeof s === "string" ? new TextEncoder().encode(s) : new Uint8Array(s));

/** A session whose requests are answered at once (logins succeed); events are recorded. */
class Driver {
  readonly session: ServerSession;
  readonly events: ServerEvent[] = [];
  now = 0;
  /** Answer transfers (true) or keep them running (false). */
  finishTransfers = true;
  running: number | undefined;

  constructor(options: Partial<ServerSessionOptions> = {}) {
    this.session = new ServerSession({ peerAddress: "127.0.0.1", now: 0, failedLoginDelay: 0, ...options });
    this.drain();
  }

  get codes(): number[] {
    return this.events.flatMap((e) => (e.type === "reply" ? [e.code] : []));
  }

  get closeReason(): string | undefined {
    const e = this.events.find((x) => x.type === "close");
    return e?.type === "close" ? e.reason : undefined;
  }

  send(bytes: string | number[]): this {
    this.session.receiveData(enc(bytes), this.now);
    this.drain();
    return this;
  }

  /** Moves the clock to `t`, firing every deadline on the way as an I/O layer's timer would. */
  advanceTo(t: number): this {
    for (;;) {
      const at = this.session.pollTimeout();
      if (at === undefined || at > t) break;
      this.now = Math.max(this.now, at);
      this.session.handleTimeout(this.now);
      this.drain();
    }
    this.now = t;
    return this;
  }

  drain(): void {
    const s = this.session;
    for (let e = s.nextEvent(); e !== NEED_DATA && e !== PAUSED; e = s.nextEvent()) {
      this.events.push(e);
      if (e.type === "authenticate") s.handleAuthResult(e.id, { ok: true, permissions: "all" }, this.now);
      else if (e.type === "open-passive") {
        s.handlePassiveResult(e.id, { ok: true, address: { host: "127.0.0.1", port: 5000 } }, this.now);
      } else if (e.type === "transfer") {
        s.handleTransferStarted(e.id, {}, this.now);
        if (this.finishTransfers) s.handleTransferResult(e.id, { ok: true, bytes: 0 }, this.now);
        else this.running = e.id;
      } else if (e.type === "abort-transfer") {
        s.handleTransferResult(e.id, { ok: false, error: "aborted" }, this.now);
      } else if (e.type === "storage") s.handleStorageResult(e.id, { ok: false, error: "not-found" }, this.now);
    }
  }
}

describe("command-line timeout (slowloris)", () => {
  it("closes a session whose line trickles in one byte a second", () => {
    const d = new Driver({ lineTimeout: 3000 });
    for (const byte of "NOOP\r\n") {
      d.send(byte);
      d.advanceTo(d.now + 1000);
      if (d.session.isClosed) break;
    }
    expect(d.codes).toEqual([220, 421]);
    expect(d.closeReason).toBe("line-timeout");
    expect(d.now).toBeLessThanOrEqual(4000);
  });

  it("lets a line that ends in time through, and times each line from its own first byte", () => {
    const d = new Driver({ lineTimeout: 3000 });
    d.send("NO").advanceTo(2000).send("OP\r\nSY").advanceTo(4500).send("ST\r\n");
    expect(d.codes).toEqual([220, 200, 215]);
    expect(d.session.pollTimeout()).toBe(60_000); // only the login timeout is left
  });

  it("counts an unfinished Telnet subnegotiation and an over-long line being skipped", () => {
    const a = new Driver({ lineTimeout: 1000 });
    a.send([255, 250, 1, 2, 3]).advanceTo(1000);
    expect(a.closeReason).toBe("line-timeout");
    const b = new Driver({ lineTimeout: 1000, maxLineLength: 512 });
    b.send("X".repeat(600)).advanceTo(999);
    expect(b.codes).toEqual([220, 500]);
    b.send("X".repeat(10)).advanceTo(1000);
    expect(b.closeReason).toBe("line-timeout");
  });

  it("never takes complete lines waiting behind a running request for a slow line", () => {
    const d = new Driver({ lineTimeout: 1000 });
    d.finishTransfers = false;
    d.send("USER a\r\nPASS b\r\nTYPE I\r\nPASV\r\nRETR f\r\nNOOP\r\n").advanceTo(10_000);
    expect(d.session.isClosed).toBe(false);
    expect(d.codes).toEqual([220, 331, 230, 200, 227, 150]);
  });

  it("does not reset the idle or login timeout with partial lines", () => {
    const idle = new Driver({ lineTimeout: 0, idleTimeout: 10_000 });
    idle.send("USER a\r\nPASS b\r\n");
    for (let t = 1000; t <= 12_000 && !idle.session.isClosed; t += 1000) idle.advanceTo(t).send("N");
    expect(idle.closeReason).toBe("idle-timeout");
    expect(idle.now).toBe(10_000);
    const login = new Driver({ lineTimeout: 0, loginTimeout: 5000 });
    for (let t = 1000; t <= 8000 && !login.session.isClosed; t += 1000) login.advanceTo(t).send("U");
    expect(login.closeReason).toBe("login-timeout");
    expect(login.now).toBe(5000);
  });

  it("is off with lineTimeout 0", () => {
    const d = new Driver({ lineTimeout: 0 });
    d.send("NOO").advanceTo(50_000).send("P\r\n");
    expect(d.codes).toEqual([220, 200]);
  });
});

describe("command rate (token bucket with back-pressure)", () => {
  it("runs a burst at once, then one command per token", () => {
    const d = new Driver({ commandRate: 10, commandBurst: 5 });
    d.send("NOOP\r\n".repeat(20));
    expect(d.codes.length - 1).toBe(5);
    expect(d.session.pollTimeout()).toBe(100);
    d.advanceTo(1000);
    expect(d.codes.length - 1).toBe(15);
    d.advanceTo(1500);
    expect(d.codes.length - 1).toBe(20);
    expect(d.session.isClosed).toBe(false);
  });

  it("reads ahead at most maxQueuedCommands lines while over the rate (wantsInput turns false)", () => {
    const d = new Driver({
      commandRate: 1,
      commandBurst: 1,
      maxQueuedCommands: 16,
      floodTimeout: 0,
      loginTimeout: 1_000_000,
    });
    d.send("NOOP\r\n".repeat(100));
    expect(d.session.wantsInput).toBe(false);
    d.advanceTo(100_000);
    expect(d.codes.length - 1).toBe(100);
    expect(d.session.wantsInput).toBe(true);
    expect(d.session.isClosed).toBe(false);
  });

  it("never closes a client that waits for each reply, however fast it asks", () => {
    const d = new Driver({ commandRate: 10, commandBurst: 2, floodTimeout: 1000 });
    for (let i = 0; i < 100; i++) {
      const before = d.codes.length;
      d.send("NOOP\r\n");
      while (d.codes.length === before) d.advanceTo(d.session.pollTimeout() ?? d.now + 1);
    }
    expect(d.codes.filter((c) => c === 200)).toHaveLength(100);
    expect(d.now).toBeGreaterThanOrEqual(9000);
    expect(d.session.isClosed).toBe(false);
  });

  it(`closes a client that keeps pipelining over the rate (${FLOOD_BACKLOG}+ lines waiting) for floodTimeout`, () => {
    const d = new Driver({ commandRate: 10, commandBurst: 10, floodTimeout: 2000 });
    let t = 0;
    while (!d.session.isClosed && t < 10_000) {
      if (d.session.wantsInput) d.send("NOOP\r\n".repeat(50));
      t += 50;
      d.advanceTo(t);
    }
    expect(d.closeReason).toBe("command-flood");
    expect(d.codes.at(-1)).toBe(421);
    expect(d.now).toBeLessThanOrEqual(2100);
  });

  it("lets ABOR and QUIT through during a transfer while over the rate", () => {
    const d = new Driver({ commandRate: 1, commandBurst: 4, floodTimeout: 0 });
    d.finishTransfers = false;
    d.send("USER a\r\nPASS b\r\nPASV\r\nRETR f\r\n");
    expect(d.codes).toEqual([220, 331, 230, 227, 150]);
    d.send("STAT\r\nABOR\r\n");
    expect(d.codes).toEqual([220, 331, 230, 227, 150, 426, 226]);
    expect(d.events.some((e) => e.type === "abort-transfer")).toBe(true);
    expect(isReplyAllowed("ABOR", 226)).toBe(true);
  });
});

describe("handleDisconnect", () => {
  it("aborts a running transfer, answers 421 and closes", () => {
    const d = new Driver();
    d.finishTransfers = false;
    d.send("USER a\r\nPASS b\r\nPASV\r\nRETR f\r\nNOOP\r\n");
    d.session.handleDisconnect("Your address is banned.", 5);
    d.drain();
    expect(d.events.some((e) => e.type === "abort-transfer")).toBe(true);
    expect(d.codes.at(-1)).toBe(421);
    expect(d.closeReason).toBe("disconnected");
    expect(d.session.pollTimeout()).toBeUndefined();
    d.session.handleDisconnect("again", 6);
    expect(d.session.nextEvent()).toBe(NEED_DATA);
  });
});

describe("robustness with the defences on and a clock", () => {
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
  const line = fc.oneof(
    fc.constantFrom("USER a\r\n", "PASS b\r\n", "NOOP\r\n", "PASV\r\n", "RETR f\r\n", "ABOR\r\n", "STAT\r\n"),
    fc.string({ maxLength: 30 }),
  );
  const step = fc.tuple(
    fc.oneof(
      fc.uint8Array({ maxLength: 60 }),
      fc.array(line, { maxLength: 20 }).map((l) => new TextEncoder().encode(l.join(""))),
    ),
    fc.nat(3000),
  );

  test.prop([options, fc.array(step, { maxLength: 12 })], { numRuns: 3000 })(
    "never throws, and every deadline it names moves time forward (no busy loop)",
    (o, steps) => {
      const s = new ServerSession({ peerAddress: "127.0.0.1", now: 0, ...o });
      let now = 0;
      answerWithStubs(s, now);
      for (const [bytes, dt] of steps) {
        s.receiveData(bytes, now);
        answerWithStubs(s, now);
        const until = now + dt;
        for (let i = 0; ; i++) {
          const at = s.pollTimeout();
          if (at === undefined || at > until) break;
          expect(i).toBeLessThan(10_000);
          now = Math.max(now, at);
          s.handleTimeout(now);
          answerWithStubs(s, now);
          const next = s.pollTimeout();
          if (next !== undefined) expect(next).toBeGreaterThan(now);
        }
        now = until;
      }
    },
  );
});
