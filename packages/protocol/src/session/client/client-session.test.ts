import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { LocalProtocolError, RemoteProtocolError } from "../../errors/index.js";
import { NEED_DATA } from "../../sentinels.js";
import { ConnectionPair } from "../../testing/index.js";
import { type ClientEvent, ClientSession } from "./client-session.js";

const enc = new TextEncoder();

function feed(s: ClientSession, text: string, now = 0): ClientEvent[] {
  s.receiveData(enc.encode(text), now);
  const out: ClientEvent[] = [];
  for (let e = s.nextEvent(); e !== NEED_DATA; e = s.nextEvent()) out.push(e);
  return out;
}

function ready(): ClientSession {
  const s = new ClientSession({ now: 0, replyTimeout: 1000, dataIdleTimeout: 500 });
  expect(feed(s, "220 hi\r\n")[0]?.type).toBe("greeting");
  return s;
}

describe("ClientSession", () => {
  it("waits for the greeting and refuses to send before it", () => {
    const s = new ClientSession();
    expect(() => s.send({ verb: "NOOP" })).toThrow(LocalProtocolError);
    expect(feed(s, "120 soon\r\n")[0]).toMatchObject({ type: "preliminary" });
    expect(feed(s, "220 now\r\n")[0]).toMatchObject({ type: "greeting" });
    expect(s.state).toBe("ready");
  });

  it("refuses a greeting of 421 (RFC 959 §5.4)", () => {
    const s = new ClientSession();
    expect(feed(s, "421 too many\r\n")[0]).toMatchObject({ type: "closed", reply: { code: 421 } });
    expect(s.state).toBe("closed");
  });

  it("sends one command at a time, except ABOR/STAT/QUIT during a transfer", () => {
    const s = ready();
    s.send({ verb: "NOOP" });
    expect(() => s.send({ verb: "PWD" })).toThrow(/awaits its reply/);
    feed(s, "200 ok\r\n");
    s.send({ verb: "RETR", argument: "f" });
    expect(() => s.send({ verb: "PWD" })).toThrow(LocalProtocolError);
    expect(() => s.send({ verb: "STAT" })).not.toThrow();
  });

  it("refuses CR/LF in arguments before anything is sent", () => {
    const s = ready();
    expect(() => s.send({ verb: "DELE", argument: "a\r\nRMD /" })).toThrow(LocalProtocolError);
    expect(s.idle).toBe(true);
  });

  it("completes a transfer when the data ends before the 150 arrives", () => {
    const s = ready();
    s.send({ verb: "RETR", argument: "f" });
    s.handleDataEof(1);
    expect(feed(s, "150 here\r\n").map((e) => e.type)).toEqual(["preliminary"]);
    expect(feed(s, "226 done\r\n").map((e) => e.type)).toEqual(["transfer-complete"]);
    expect(s.idle).toBe(true);
  });

  it("fails a transfer on a negative final reply whatever the data did", () => {
    const s = ready();
    s.send({ verb: "STOR", argument: "f" });
    expect(feed(s, "150 go\r\n552 quota\r\n").map((e) => (e.type === "reply" ? e.outcome : e.type))).toEqual([
      "preliminary",
      "permanent",
    ]);
    expect(s.idle).toBe(true);
  });

  it("gives an ABOR's reply to ABOR once the transfer has its final reply", () => {
    const s = ready();
    s.send({ verb: "RETR", argument: "f" });
    feed(s, "150 go\r\n226 done\r\n");
    s.send({ verb: "ABOR" });
    const events = feed(s, "226 abor ok\r\n");
    expect(
      events.map((e) =>
        e.type === "reply" || e.type === "transfer-complete" ? `${e.type}:${e.command.verb}` : e.type,
      ),
    ).toEqual([
      // The transfer had its 226; ABOR gives up the rest of its data, so it ends here.
      "transfer-complete:RETR",
      "reply:ABOR",
    ]);
    expect(s.idle).toBe(true);
  });

  it("ends an aborted transfer on a second 1yz, so the ABOR gets the 226 (pure-ftpd 1.0.50)", () => {
    const s = ready();
    s.send({ verb: "RETR", argument: "big.bin" });
    feed(s, "150-Accepted data connection\r\n150 8192.0 kbytes to download\r\n");
    s.send({ verb: "ABOR" });
    const events = feed(
      s,
      "150 1.003 seconds (measured here), 3.74 Mbytes per second\r\n226 Since you see this ABOR must've succeeded\r\n",
    );
    expect(events).toEqual([
      {
        type: "reply",
        command: expect.objectContaining({ verb: "RETR" }),
        reply: { code: 150, lines: ["1.003 seconds (measured here), 3.74 Mbytes per second"] },
        outcome: "transient",
      },
      {
        type: "reply",
        command: expect.objectContaining({ verb: "ABOR" }),
        reply: { code: 226, lines: ["Since you see this ABOR must've succeeded"] },
        outcome: "success",
      },
    ]);
    expect(s.idle).toBe(true);
  });

  it("keeps the usual ABOR sequences: 426 then 226, and a 110 marker is no end", () => {
    const s = ready();
    s.send({ verb: "RETR", argument: "f" });
    feed(s, "150 go\r\n");
    s.send({ verb: "ABOR" });
    const events = feed(s, "110 MARK 10 = 10\r\n426 aborted\r\n226 ABOR ok\r\n");
    expect(events.map((e) => (e.type === "reply" ? `${e.command.verb}:${e.reply.code}:${e.outcome}` : e.type))).toEqual(
      ["preliminary", "RETR:426:transient", "ABOR:226:success"],
    );
    // ABOR before the 1yz: the 150 is still the transfer's preliminary reply.
    const t = ready();
    t.send({ verb: "STOR", argument: "f" });
    t.send({ verb: "ABOR" });
    const later = feed(t, "150 go\r\n426 aborted\r\n225 ABOR ok\r\n");
    expect(later.map((e) => (e.type === "reply" ? `${e.command.verb}:${e.reply.code}` : e.type))).toEqual([
      "preliminary",
      "STOR:426",
      "ABOR:225",
    ]);
  });

  it("reports a 421 at any time as closed, not hung", () => {
    const s = ready();
    s.send({ verb: "LIST" });
    expect(feed(s, "421 shutting down\r\n")).toEqual([
      { type: "closed", reply: { code: 421, lines: ["shutting down"] } },
    ]);
    expect(s.pollTimeout()).toBeUndefined();
  });

  it("times out a missing reply, and data silence during a transfer", () => {
    const s = ready();
    s.send({ verb: "NOOP" }, 100);
    expect(s.pollTimeout()).toBe(1100);
    s.handleTimeout(1099);
    expect(s.nextEvent()).toBe(NEED_DATA);
    s.handleTimeout(1100);
    expect(s.nextEvent()).toMatchObject({ type: "timeout", phase: "reply", command: { verb: "NOOP" } });
    const t = ready();
    t.send({ verb: "RETR", argument: "x" }, 0);
    feed(t, "150 go\r\n", 10);
    expect(t.pollTimeout()).toBe(510);
    t.handleDataActivity(400);
    expect(t.pollTimeout()).toBe(900);
    t.handleTimeout(900);
    expect(t.nextEvent()).toMatchObject({ type: "timeout", phase: "data" });
  });

  it("ends a third-party transfer (FXP) on its final reply alone, waiting with dataIdleTimeout after the 1yz", () => {
    const s = ready();
    s.send({ verb: "STOR", argument: "f" }, 0, { thirdParty: true });
    expect(s.pollTimeout()).toBe(1000);
    feed(s, "150 go\r\n", 10);
    expect(s.pollTimeout()).toBe(510);
    s.handleDataActivity(400);
    expect(s.pollTimeout()).toBe(900);
    expect(feed(s, "226 done\r\n", 600).map((e) => e.type)).toEqual(["transfer-complete"]);
    expect(s.idle).toBe(true);
    expect(s.pollTimeout()).toBeUndefined();
    // Without handleDataActivity the silence after the 1yz times out as a data wait.
    s.send({ verb: "RETR", argument: "f" }, 1000, { thirdParty: true });
    feed(s, "150 go\r\n", 1000);
    s.handleTimeout(1500);
    expect(s.nextEvent()).toMatchObject({ type: "timeout", phase: "data", command: { verb: "RETR" } });
  });

  it("aborts a third-party transfer like any other: 426 to it, 226 to the ABOR, replyTimeout meanwhile", () => {
    const s = ready();
    s.send({ verb: "RETR", argument: "f" }, 0, { thirdParty: true });
    feed(s, "150 go\r\n", 0);
    s.send({ verb: "ABOR" }, 100);
    expect(s.pollTimeout()).toBe(1100);
    const events = feed(s, "426 aborted\r\n226 abor ok\r\n", 200);
    expect(events.map((e) => (e.type === "reply" ? `${e.command.verb} ${e.outcome}` : e.type))).toEqual([
      "RETR transient",
      "ABOR success",
    ]);
    expect(s.idle).toBe(true);
    // A third-party transfer failing before its 1yz (the other server never connected).
    s.send({ verb: "STOR", argument: "g" }, 300, { thirdParty: true });
    expect(feed(s, "425 no data connection\r\n").map((e) => (e.type === "reply" ? e.outcome : e.type))).toEqual([
      "transient",
    ]);
  });

  it("refuses thirdParty for a command that is not a transfer", () => {
    const s = ready();
    expect(() => s.send({ verb: "NOOP" }, 0, { thirdParty: true })).toThrow(/not a transfer command/);
    expect(s.idle).toBe(true);
  });

  it("tells when bytes of an unfinished reply wait (STARTTLS injection check)", () => {
    const s = ready();
    s.send({ verb: "AUTH", argument: "TLS" });
    expect(feed(s, "234 go ahead\r\n")[0]).toMatchObject({ type: "reply", reply: { code: 234 } });
    expect(s.hasBufferedInput).toBe(false);
    feed(s, "230-injected");
    expect(s.hasBufferedInput).toBe(true);
  });

  it("reports replies nobody asked for", () => {
    const s = ready();
    expect(feed(s, "200 spontaneous\r\n")).toEqual([
      { type: "unexpected-reply", reply: { code: 200, lines: ["spontaneous"] } },
    ]);
  });

  it("decodes PASV and EPSV offers (and fails cleanly on a bad one)", () => {
    const s = ready();
    s.send({ verb: "PASV" });
    expect(feed(s, "227 Entering Passive Mode (10,0,0,5,4,1)\r\n")[0]).toMatchObject({
      offer: { host: "10.0.0.5", port: 1025 },
    });
    s.send({ verb: "EPSV" });
    expect(feed(s, "229 ok (|||6446|)\r\n")[0]).toMatchObject({ offer: { port: 6446 } });
    s.send({ verb: "PASV" });
    expect(() => feed(s, "227 nothing here\r\n")).toThrow(RemoteProtocolError);
  });

  it("throws RemoteProtocolError on garbage and closes", () => {
    const s = ready();
    s.send({ verb: "NOOP" });
    expect(() => feed(s, "SSH-2.0-OpenSSH\r\n")).toThrow(RemoteProtocolError);
    expect(s.state).toBe("closed");
  });

  test.prop([fc.uint8Array({ maxLength: 200 })], { numRuns: 10_000 })(
    "only ever yields events or throws RemoteProtocolError, for any server bytes",
    (bytes) => {
      const s = new ClientSession();
      s.receiveData(bytes);
      try {
        for (let i = 0; i < 300 && s.nextEvent() !== NEED_DATA; i++);
      } catch (error) {
        expect(RemoteProtocolError.isInstance(error)).toBe(true);
      }
    },
  );
});

describe("whole conversations are independent of chunking", () => {
  function run(chunkSize: number | undefined, order: "reply-first" | "eof-first") {
    const p = new ConnectionPair({
      users: { u: "p" },
      files: { "/a b.txt": "line1\nline2\n", "/d/x": "x" },
      completionOrder: order,
      ...(chunkSize === undefined ? {} : { chunkSize }),
    });
    p.login("u", "p");
    p.request("TYPE", "I");
    p.request("EPSV");
    p.request("RETR", "a b.txt");
    p.request("PASV");
    p.request("MLSD", "d");
    p.request("FEAT");
    p.request("RNFR", "a b.txt");
    p.request("RNTO", "c.txt");
    p.request("QUIT");
    return {
      events: p.clientEvents.map((e) => ("reply" in e && e.reply ? `${e.type}:${e.reply.code}` : e.type)),
      downloads: p.downloads.map((d) => new TextDecoder().decode(d)),
    };
  }
  test.prop([fc.integer({ min: 1, max: 64 }), fc.constantFrom("reply-first" as const, "eof-first" as const)], {
    numRuns: 200,
  })("same replies and bytes for any chunk size and either completion order", (size, order) => {
    const reference = run(undefined, "reply-first");
    const got = run(size, order);
    expect(got.downloads).toEqual(reference.downloads);
    expect(got.events.filter((e) => e !== "closed:221")).toEqual(reference.events.filter((e) => e !== "closed:221"));
  });
});
