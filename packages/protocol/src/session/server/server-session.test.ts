import { fc, test } from "@fast-check/vitest";
import { afterEach, describe, expect, it } from "vitest";
import { parseListing, parseMlsdListing } from "../../listing/index.js";
import { parseQuotedPathname } from "../../reply/index.js";
import { NEED_DATA, PAUSED } from "../../sentinels.js";
import { isReplyAllowed } from "../../sequence/index.js";
import { answerWithStubs, ConnectionPair, type ConnectionPairOptions } from "../../testing/index.js";
import type { ClientEvent } from "../client/client-session.js";
import { ServerSession } from "./server-session.js";
import type { AuthResult, ServerEvent, TransferResult } from "./types.js";

const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
let pairs: ConnectionPair[] = [];

function pair(options: ConnectionPairOptions = {}): ConnectionPair {
  const p = new ConnectionPair({ users: { alice: "secret" }, ...options });
  pairs.push(p);
  return p;
}

function loggedIn(options: ConnectionPairOptions = {}): ConnectionPair {
  const p = pair(options);
  p.login("alice", "secret");
  return p;
}

const codes = (events: ClientEvent[]) => events.flatMap((e) => ("reply" in e && e.reply ? [e.reply.code] : []));
const last = (events: ClientEvent[]) => events[events.length - 1];

// Every reply the server sends must be legal for its command (RFC 959 §5.4 via SEQUENCES).
afterEach(() => {
  for (const p of pairs) {
    for (const e of p.clientEvents) {
      if ((e.type === "reply" || e.type === "transfer-complete" || e.type === "preliminary") && e.command) {
        expect(isReplyAllowed(e.command.verb, e.reply.code), `${e.command.verb} -> ${e.reply.code}`).toBe(true);
      }
    }
  }
  pairs = [];
});

describe("login (RFC 959 §5.4)", () => {
  it("greets, asks for the password, logs in", () => {
    const p = pair();
    expect(p.clientEvents[0]).toMatchObject({ type: "greeting", reply: { code: 220 } });
    expect(codes(p.login("alice", "secret"))).toEqual([331, 230]);
    expect(p.client.loggedIn).toBe(true);
    expect(p.server.loggedIn).toBe(true);
  });

  it("delays a failed login, then answers 530; the third failure closes with 421", () => {
    const p = pair({ server: { failedLoginDelay: 1000, maxLoginAttempts: 3 } });
    expect(codes(p.login("alice", "wrong"))).toEqual([331]);
    expect(p.server.pollTimeout()).toBe(p.clock.now() + 1000);
    p.advance(999);
    expect(codes(p.clientEvents.slice(-1))).toEqual([331]);
    p.advance(1);
    expect(last(p.clientEvents)).toMatchObject({ type: "reply", reply: { code: 530 }, outcome: "permanent" });
    for (let i = 0; i < 2; i++) {
      p.login("bob", "nope");
      p.advance(1000);
    }
    expect(codes(p.clientEvents).slice(-2)).toEqual([530, 421]);
    expect(last(p.clientEvents)?.type).toBe("closed");
    expect(p.server.isClosed).toBe(true);
  });

  it("refuses commands before login and PASS before USER", () => {
    const p = pair();
    expect(codes(p.request("PWD"))).toEqual([530]);
    expect(codes(p.request("PASS", "x"))).toEqual([503]);
    expect(codes(p.request("SYST"))).toEqual([215]);
    expect(codes(p.request("FEAT"))[0]).toBe(211);
  });

  it("refuses a second USER after login, and REIN logs out", () => {
    const p = loggedIn();
    expect(codes(p.request("USER", "bob"))).toEqual([530]);
    expect(codes(p.request("REIN"))).toEqual([220]);
    expect(p.client.loggedIn).toBe(false);
    expect(codes(p.request("PWD"))).toEqual([530]);
  });

  it("answers ACCT with 202 and HOST per RFC 7151", () => {
    const p = pair({ server: { virtualHosts: ["ftp.example.com"] } });
    expect(codes(p.request("HOST", "other.example.com"))).toEqual([504]);
    expect(codes(p.request("HOST", "FTP.example.com"))).toEqual([220]);
    p.login("alice", "secret");
    expect(codes(p.request("HOST", "ftp.example.com"))).toEqual([503]);
    expect(codes(p.request("ACCT", "x"))).toEqual([202]);
  });

  it("times out an idle session and a slow login with 421", () => {
    const p = loggedIn({ server: { idleTimeout: 5000 } });
    p.advance(4999);
    expect(p.server.isClosed).toBe(false);
    p.advance(1);
    expect(p.clientEvents.at(-1)).toMatchObject({ type: "closed", reply: { code: 421 } });
    expect(p.server.isClosed).toBe(true);
    const q = pair({ server: { loginTimeout: 2000 } });
    q.advance(2000);
    expect(q.server.isClosed).toBe(true);
  });
});

describe("errors", () => {
  it("answers 500 / 501 / 504 / 502 and keeps going", () => {
    const p = loggedIn();
    p.sendRaw("HELO there\r\n");
    p.drive();
    expect(p.serverEvents.some((e) => e.type === "protocol-error")).toBe(true);
    const before = p.wire.length;
    p.sendRaw("CWD\r\nTYPE X\r\nRETR\r\nREST -5\r\n");
    p.drive();
    expect(p.wire.slice(before + 1).map((w) => text(w.bytes).slice(0, 3))).toEqual(["501", "504", "501", "501"]);
    expect(codes(p.request("MODE", "B"))).toEqual([504]);
    expect(codes(p.request("STRU", "R"))).toEqual([504]);
    expect(codes(p.request("SMNT", "/x"))).toEqual([502]);
    expect(codes(p.request("NOOP"))).toEqual([200]);
  });
});

describe("navigation and files", () => {
  const files = { "/docs/a.txt": "hello\nworld\n", '/q"uote/': "", "/empty/": "" };

  it("changes directories and quotes PWD (RFC 959 Appendix II)", () => {
    const p = loggedIn({ files });
    expect(codes(p.request("CWD", "docs"))).toEqual([250]);
    const cwd = p.request("PWD")[0];
    expect(cwd?.type === "reply" && parseQuotedPathname(cwd.reply.lines[0] ?? "")).toBe("/docs");
    expect(codes(p.request("CWD", "a.txt"))).toEqual([550]);
    expect(codes(p.request("CWD", "missing"))).toEqual([550]);
    expect(codes(p.request("CDUP"))).toEqual([250]);
    expect(codes(p.request("XCWD", 'q"uote'))).toEqual([250]);
    const pwd = p.request("XPWD")[0];
    expect(pwd?.type === "reply" && parseQuotedPathname(pwd.reply.lines[0] ?? "")).toBe('/q"uote');
    expect(codes(p.request("CWD", "../../../.."))).toEqual([250]);
    expect(p.server.workingDirectory).toBe("/");
  });

  it("makes, removes, deletes and renames", () => {
    const p = loggedIn({ files });
    const mkd = p.request("MKD", "new dir")[0];
    expect(mkd?.type === "reply" && mkd.reply.code).toBe(257);
    expect(mkd?.type === "reply" && parseQuotedPathname(mkd.reply.lines[0] ?? "")).toBe("/new dir");
    expect(codes(p.request("MKD", "new dir"))).toEqual([550]);
    expect(codes(p.request("RMD", "docs"))).toEqual([550]);
    expect(codes(p.request("DELE", "docs"))).toEqual([550]);
    expect(codes(p.request("RNFR", "docs/a.txt"))).toEqual([350]);
    expect(codes(p.request("RNTO", "new dir/b.txt"))).toEqual([250]);
    expect(p.store.has("/new dir/b.txt")).toBe(true);
    expect(codes(p.request("DELE", "/new dir/b.txt"))).toEqual([250]);
    expect(codes(p.request("XRMD", "new dir"))).toEqual([250]);
    expect(codes(p.request("RMD", "/"))).toEqual([550]);
  });

  it("insists that RNTO immediately follows RNFR", () => {
    const p = loggedIn({ files });
    expect(codes(p.request("RNTO", "x"))).toEqual([503]);
    p.request("RNFR", "docs/a.txt");
    p.request("NOOP");
    expect(codes(p.request("RNTO", "x"))).toEqual([503]);
    expect(codes(p.request("RNFR", "nope"))).toEqual([550]);
  });

  it("answers SIZE only in TYPE I, MDTM and MFMT in UTC, MLST with facts", () => {
    const p = loggedIn({ files });
    expect(codes(p.request("SIZE", "docs/a.txt"))).toEqual([550]);
    p.request("TYPE", "I");
    const size = p.request("SIZE", "docs/a.txt")[0];
    expect(size?.type === "reply" && size.reply.lines[0]).toBe("12");
    expect(codes(p.request("SIZE", "docs"))).toEqual([550]);
    expect(codes(p.request("MFMT", "20200102030405 docs/a.txt"))).toEqual([213]);
    const mdtm = p.request("MDTM", "docs/a.txt")[0];
    expect(mdtm?.type === "reply" && mdtm.reply.lines[0]).toBe("20200102030405");
    const mlst = p.request("MLST", "docs/a.txt")[0];
    expect(mlst?.type === "reply" && mlst.reply.code).toBe(250);
    const entries = parseMlsdListing(mlst?.type === "reply" ? (mlst.reply.lines[1] ?? "").slice(1) : "");
    expect(entries[0]).toMatchObject({ name: "/docs/a.txt", type: "file", size: 12 });
    expect(codes(p.request("OPTS", "MLST type;size;"))).toEqual([200]);
    const m2 = p.request("MLST", "docs/a.txt")[0];
    expect(m2?.type === "reply" && m2.reply.lines[1]).toBe(" type=file;size=12; /docs/a.txt");
  });

  it("lists over the control connection with STAT and reports session status", () => {
    const p = loggedIn({ files });
    const stat = p.request("STAT", "docs")[0];
    expect(stat?.type === "reply" && stat.reply.code).toBe(213);
    const lines = stat?.type === "reply" ? stat.reply.lines.slice(1, -1).join("\n") : "";
    expect(parseListing(lines, { now: new Date(p.clock.now()) }).map((f) => f.name)).toEqual(["a.txt"]);
    const status = p.request("STAT")[0];
    expect(status?.type === "reply" && status.reply.code).toBe(211);
  });

  it("answers HELP, FEAT, OPTS, LANG, SITE", () => {
    const p = loggedIn();
    const feat = p.request("FEAT")[0];
    const featLines = feat?.type === "reply" ? feat.reply.lines.join("\n") : "";
    for (const f of [
      " EPSV",
      " MDTM",
      " MLST type*",
      " REST STREAM",
      " SIZE",
      " UTF8",
      " MFMT",
      " HOST",
      " LANG EN*",
      " HASH",
    ]) {
      expect(featLines).toContain(f);
    }
    expect(featLines).not.toContain("AUTH TLS");
    expect(codes(p.request("HELP"))).toEqual([214]);
    const help = p.request("HELP", "RETR")[0];
    expect(help?.type === "reply" && help.reply.lines[0]).toContain("RETR");
    expect(codes(p.request("HELP", "BOGUS"))).toEqual([502]);
    expect(codes(p.request("OPTS", "UTF8 ON"))).toEqual([200]);
    expect(codes(p.request("OPTS", "NONSENSE"))).toEqual([501]);
    expect(codes(p.request("OPTS", "HASH MD5"))).toEqual([200]);
    expect(codes(p.request("OPTS", "HASH SHA-512"))).toEqual([501]);
    expect(codes(p.request("LANG", "EN"))).toEqual([200]);
    expect(codes(p.request("LANG", "FR"))).toEqual([504]);
    expect(codes(p.request("SITE", "HELP"))).toEqual([214]);
    expect(codes(p.request("SITE", "CHMOD 644 x"))).toEqual([502]);
    expect(codes(p.request("SITE", "EXEC rm"))).toEqual([500]);
    expect(codes(p.request("ALLO", "100"))).toEqual([202]);
  });
});

describe("data connections", () => {
  const files = { "/a.txt": "hello\nworld\n", "/dir/x": "1", "/dir/y y": "22" };

  it("needs PASV/EPSV/PORT/EPRT before a transfer (425)", () => {
    const p = loggedIn({ files });
    expect(codes(p.request("RETR", "a.txt"))).toEqual([425]);
  });

  it("offers PASV and EPSV addresses, refuses PASV after EPSV ALL and a foreign EPSV family", () => {
    const p = loggedIn({ files });
    const pasv = p.request("PASV")[0];
    expect(pasv?.type === "reply" && pasv.offer).toEqual({ host: "127.0.0.1", port: 40000 });
    const epsv = p.request("EPSV")[0];
    expect(epsv?.type === "reply" && epsv.offer).toEqual({ host: undefined, port: 40001 });
    expect(codes(p.request("EPSV", "2"))).toEqual([522]);
    expect(codes(p.request("EPSV", "ALL"))).toEqual([200]);
    expect(codes(p.request("PASV"))).toEqual([503]);
    expect(codes(p.request("PORT", "127,0,0,1,200,1"))).toEqual([503]);
  });

  it("answers EPSV with an unknown protocol number with 522 (RFC 2428 §3)", () => {
    const p = loggedIn();
    p.sendRaw("EPSV 9\r\n");
    p.drive();
    expect(p.wire.at(-1) && text(p.wire.at(-1)?.bytes)).toMatch(/^522 /);
  });

  it("refuses PORT/EPRT to another host or a privileged port (RFC 2577)", () => {
    const p = loggedIn({ files });
    expect(codes(p.request("PORT", "10,0,0,1,200,1"))).toEqual([500]);
    expect(codes(p.request("PORT", "127,0,0,1,0,21"))).toEqual([504]);
    expect(codes(p.request("EPRT", "|1|10.1.1.1|5000|"))).toEqual([500]);
    expect(codes(p.request("PORT", "127,0,0,1,200,1"))).toEqual([200]);
    expect(codes(p.request("EPRT", "|1|127.0.0.1|50000|"))).toEqual([200]);
    p.request("TYPE", "I");
    expect(codes(p.request("RETR", "a.txt"))).toEqual([150, 226]);
  });

  it.each(["reply-first", "eof-first"] as const)(
    "completes RETR only when both the 226 and the data end arrived (%s)",
    (order) => {
      const p = loggedIn({ files, completionOrder: order });
      p.request("TYPE", "I");
      p.request("EPSV");
      const events = p.request("RETR", "a.txt");
      expect(events.map((e) => e.type)).toEqual(["preliminary", "transfer-complete"]);
      expect(text(p.downloads.at(-1))).toBe("hello\nworld\n");
      expect(p.client.idle).toBe(true);
    },
  );

  it("resumes with REST (RFC 3659 §5)", () => {
    const p = loggedIn({ files });
    p.request("TYPE", "I");
    expect(codes(p.request("REST", "6"))).toEqual([350]);
    p.request("PASV");
    p.request("RETR", "a.txt");
    expect(text(p.downloads.at(-1))).toBe("world\n");
    p.request("PASV");
    p.request("REST", "5");
    p.request("STOR", "a.txt", { upload: "!!" });
    expect(text(p.store.read("/a.txt"))).toBe("hello!!");
    p.request("PASV");
    p.request("APPE", "a.txt", { upload: "??" });
    expect(text(p.store.read("/a.txt"))).toBe("hello!!??");
  });

  it("converts line ends in TYPE A both ways", () => {
    const p = loggedIn({ files });
    p.request("PASV");
    p.request("RETR", "a.txt");
    expect(text(p.downloads.at(-1))).toBe("hello\r\nworld\r\n");
    p.request("PASV");
    p.request("STOR", "b.txt", { upload: "one\r\ntwo\r\n" });
    expect(text(p.store.read("/b.txt"))).toBe("one\ntwo\n");
  });

  it("lists with LIST, NLST and MLSD", () => {
    const p = loggedIn({ files });
    p.request("PASV");
    p.request("LIST", "-la dir");
    expect(
      parseListing(text(p.downloads.at(-1)), { now: new Date(p.clock.now()) }).map((f) => [f.name, f.size]),
    ).toEqual([
      ["x", 1],
      ["y y", 2],
    ]);
    p.request("PASV");
    p.request("NLST", "dir");
    expect(text(p.downloads.at(-1))).toBe("x\r\ny y\r\n");
    p.request("PASV");
    p.request("MLSD", "dir");
    expect(parseMlsdListing(text(p.downloads.at(-1))).map((f) => [f.name, f.type, f.size])).toEqual([
      ["x", "file", 1],
      ["y y", "file", 2],
    ]);
  });

  it("names the file STOU created (RFC 1123 §4.1.2.9)", () => {
    const p = loggedIn({ files });
    p.request("PASV");
    const events = p.request("STOU", "up", { upload: "u" });
    expect(events[0]?.type === "preliminary" && events[0].reply.lines[0]).toBe("FILE: up.1");
  });

  it("aborts a running transfer: 426 then 226, and the session goes on (RFC 959 §4.1.3)", () => {
    const p = loggedIn({ files, holdTransfers: true });
    p.request("PASV");
    const started = p.request("RETR", "a.txt");
    expect(started.map((e) => e.type)).toEqual(["preliminary"]);
    expect(p.server.transferring).toBe(true);
    const abort = p.request("ABOR");
    expect(abort.map((e) => (e.type === "reply" ? `${e.command.verb}:${e.reply.code}` : e.type))).toEqual([
      "RETR:426",
      "ABOR:226",
    ]);
    expect(codes(p.request("NOOP"))).toEqual([200]);
    expect(codes(p.request("ABOR"))).toEqual([225]);
  });

  it("answers STAT during a transfer and closes after it on QUIT", () => {
    const p = loggedIn({ files, holdTransfers: true });
    p.request("PASV");
    p.request("RETR", "a.txt");
    const stat = p.request("STAT");
    expect(codes(stat)).toEqual([211]);
    p.send("QUIT");
    p.drive();
    expect(p.server.isClosed).toBe(false);
    p.finishTransfer();
    // On the wire the transfer's 226 comes first, then the 221 (RFC 959 §4.1.1 QUIT).
    expect(p.wire.slice(-2).map((w) => text(w.bytes).slice(0, 3))).toEqual(["226", "221"]);
    // The client still completes the transfer whose data ends after the 221.
    expect(p.clientEvents.some((e) => e.type === "transfer-complete" && e.command.verb === "RETR")).toBe(true);
    expect(p.server.isClosed).toBe(true);
  });
});

describe("TLS policy (RFC 4217)", () => {
  it("requires AUTH before login and PROT P for data when configured", () => {
    const p = pair({
      server: { tls: { available: true, requireForControl: true, requireForData: true } },
      files: { "/a": "x" },
    });
    expect(codes(p.request("USER", "alice"))).toEqual([530]);
    expect(codes(p.request("PROT", "P"))).toEqual([530]);
    expect(codes(p.request("AUTH", "TLS"))).toEqual([234]);
    expect(p.server.secure).toBe(true);
    expect(codes(p.request("AUTH", "TLS"))).toEqual([503]);
    p.login("alice", "secret");
    expect(codes(p.request("PROT", "P"))).toEqual([503]);
    expect(codes(p.request("PBSZ", "0"))).toEqual([200]);
    expect(codes(p.request("PROT", "C"))).toEqual([534]);
    expect(codes(p.request("PROT", "S"))).toEqual([536]);
    p.request("PASV");
    expect(codes(p.request("RETR", "a"))).toEqual([521]);
    expect(codes(p.request("PROT", "P"))).toEqual([200]);
    expect(codes(p.request("RETR", "a"))).toEqual([150, 226]);
  });

  it("lists AUTH TLS in FEAT only when TLS is available and refuses AUTH otherwise", () => {
    const p = pair({ server: { tls: { available: true } } });
    const feat = p.request("FEAT")[0];
    expect(feat?.type === "reply" && feat.reply.lines).toContain(" AUTH TLS");
    const q = pair();
    expect(codes(q.request("AUTH", "TLS"))).toEqual([502]);
    expect(codes(q.request("CCC"))).toEqual([530]);
  });
});

/** Drives a bare ServerSession: feeds `input`, answers its requests with `answer`, returns "VERB:code" per reply. */
function run(
  session: ServerSession,
  input: string,
  answer: (e: ServerEvent, s: ServerSession) => void = () => {},
  seen: ServerEvent[] = [],
): string[] {
  if (input !== "") session.receiveData(new TextEncoder().encode(input), 0);
  const out: string[] = [];
  for (let e = session.nextEvent(); e !== NEED_DATA && e !== PAUSED; e = session.nextEvent()) {
    seen.push(e);
    if (e.type === "reply") out.push(String(e.code));
    else answer(e, session);
  }
  return out;
}

/** Answers like a server whose data connections end as `transfer` says (default: success). */
function tlsAnswers(
  options: { transfer?: TransferResult; auth?: AuthResult; secure?: boolean } = {},
): (e: ServerEvent, s: ServerSession) => void {
  return (e, s) => {
    if (e.type === "authenticate") s.handleAuthResult(e.id, options.auth ?? { ok: true, permissions: "all" }, 0);
    else if (e.type === "open-passive")
      s.handlePassiveResult(e.id, { ok: true, address: { host: "127.0.0.1", port: 5000 } }, 0);
    else if (e.type === "secure-control") s.handleSecureResult(e.id, options.secure ?? true, 0);
    else if (e.type === "transfer") {
      s.handleTransferStarted(e.id, {}, 0);
      s.handleTransferResult(e.id, options.transfer ?? { ok: true, bytes: 1 }, 0);
    }
  };
}

describe("FTPS details (RFC 4217)", () => {
  it("drops plain-text commands that followed AUTH TLS before the handshake (STARTTLS injection)", () => {
    const s = new ServerSession({ peerAddress: "127.0.0.1", now: 0, failedLoginDelay: 0, tls: { available: true } });
    run(s, "");
    const events: ServerEvent[] = [];
    // The injected USER/PASS/DELE arrive in the same clear-text segment as AUTH TLS.
    expect(run(s, "AUTH TLS\r\nUSER alice\r\nPASS secret\r\nDELE x\r\n", tlsAnswers(), events)).toEqual(["234"]);
    expect(events.filter((e) => e.type === "command").map((e) => e.type === "command" && e.command.verb)).toEqual([
      "AUTH",
    ]);
    expect(s.loggedIn).toBe(false);
    // A partial line is dropped too: what follows starts a fresh line.
    expect(run(s, "USER alice\r\n", tlsAnswers())).toEqual(["331"]);
  });

  it("keeps the clear-text bytes when the handshake failed (the session closes anyway)", () => {
    const s = new ServerSession({ peerAddress: "127.0.0.1", now: 0, tls: { available: true } });
    run(s, "");
    expect(run(s, "AUTH TLS\r\nNOOP\r\n", tlsAnswers({ secure: false }))).toEqual(["234"]);
    expect(s.isClosed).toBe(true);
  });

  it("takes PBSZ 0 and PROT P as given on an implicit FTPS connection (MS-FTPS §3.2.5.1)", () => {
    const s = new ServerSession({
      peerAddress: "127.0.0.1",
      now: 0,
      secure: true,
      tls: { available: true, requireForControl: true, requireForData: true },
    });
    expect(run(s, "")).toEqual(["220"]);
    expect(run(s, "USER alice\r\nPASS secret\r\nPASV\r\nRETR f\r\n", tlsAnswers())).toEqual([
      "331",
      "230",
      "227",
      "150",
      "226",
    ]);
    expect(run(s, "AUTH TLS\r\nPBSZ 0\r\nPROT P\r\n", tlsAnswers())).toEqual(["503", "200", "200"]);
  });

  it("answers 522 after the 150 when the data connection's TLS failed or did not resume the session", () => {
    for (const error of ["tls-failed", "tls-not-resumed"] as const) {
      const s = new ServerSession({ peerAddress: "127.0.0.1", now: 0, tls: { available: true } });
      run(s, "");
      const answer = tlsAnswers({ transfer: { ok: false, error } });
      const events: ServerEvent[] = [];
      expect(
        run(
          s,
          "AUTH TLS\r\nUSER a\r\nPASS b\r\nPBSZ 0\r\nPROT P\r\nEPSV\r\nRETR f\r\nSTOR g\r\nLIST\r\n",
          answer,
          events,
        ),
      ).toEqual(["234"]);
      const replies = run(
        s,
        "USER a\r\nPASS b\r\nPBSZ 0\r\nPROT P\r\nEPSV\r\nRETR f\r\nEPSV\r\nSTOR g\r\n",
        answer,
        events,
      );
      expect(replies).toEqual(["331", "230", "200", "200", "229", "150", "522", "229", "150", "522"]);
      const texts = events.flatMap((e) => (e.type === "reply" && e.code === 522 ? e.lines : []));
      expect(texts[0]).toMatch(error === "tls-failed" ? /TLS negotiation failed/ : /session reuse required/);
      expect(isReplyAllowed("RETR", 522) && isReplyAllowed("STOR", 522) && isReplyAllowed("LIST", 522)).toBe(true);
    }
  });

  it("lets an account override the server's data-protection policy either way", () => {
    // Server requires PROT P; this account may use PROT C once logged in.
    const relaxed = new ServerSession({
      peerAddress: "127.0.0.1",
      now: 0,
      secure: true,
      tls: { available: true, requireForData: true },
    });
    run(relaxed, "");
    const relaxedAuth = tlsAnswers({ auth: { ok: true, permissions: "all", requireSecureData: false } });
    expect(run(relaxed, "PROT C\r\n", relaxedAuth)).toEqual(["534"]);
    expect(run(relaxed, "USER a\r\nPASS b\r\nPROT C\r\nPASV\r\nRETR f\r\n", relaxedAuth)).toEqual([
      "331",
      "230",
      "200",
      "227",
      "150",
      "226",
    ]);
    // Server does not require it; this account does.
    const strict = new ServerSession({ peerAddress: "127.0.0.1", now: 0, secure: true, tls: { available: true } });
    run(strict, "");
    const strictAuth = tlsAnswers({ auth: { ok: true, permissions: "all", requireSecureData: true } });
    expect(run(strict, "PROT C\r\nUSER a\r\nPASS b\r\nPASV\r\nRETR f\r\n", strictAuth)).toEqual([
      "200",
      "331",
      "230",
      "227",
      "521",
    ]);
    expect(run(strict, "PROT C\r\nPROT P\r\nPASV\r\nRETR f\r\n", strictAuth)).toEqual([
      "534",
      "200",
      "227",
      "150",
      "226",
    ]);
  });

  it("refuses an account that requires TLS on a clear control connection with 530, without delay or count", () => {
    const s = new ServerSession({
      peerAddress: "127.0.0.1",
      now: 0,
      failedLoginDelay: 5000,
      maxLoginAttempts: 1,
      tls: { available: true },
    });
    run(s, "");
    const answer = tlsAnswers({ auth: { ok: true, permissions: "all", requireSecureControl: true } });
    const events: ServerEvent[] = [];
    expect(run(s, "USER a\r\nPASS b\r\nUSER a\r\nPASS b\r\n", answer, events)).toEqual(["331", "530", "331", "530"]);
    expect(events.some((e) => e.type === "login" || e.type === "login-failed")).toBe(false);
    expect(s.isClosed).toBe(false);
    expect(s.loggedIn).toBe(false);
    expect(run(s, "AUTH TLS\r\n", answer)).toEqual(["234"]);
    expect(run(s, "USER a\r\nPASS b\r\n", answer, events)).toEqual(["331", "230"]);
    expect(events.some((e) => e.type === "login")).toBe(true);
  });

  describe("CCC (RFC 4217 §5)", () => {
    const tlsOn = (extra: { allowCcc?: boolean; requireForControl?: boolean } = {}) =>
      new ServerSession({ peerAddress: "127.0.0.1", now: 0, tls: { available: true, ...extra } });
    /** Answers like tlsAnswers, and `clear-control` with `cleared`. */
    const cccAnswers =
      (cleared = true, auth?: AuthResult) =>
      (e: ServerEvent, s: ServerSession) => {
        if (e.type === "clear-control") s.handleClearResult(e.id, cleared, 0);
        else tlsAnswers(auth === undefined ? {} : { auth })(e, s);
      };

    it("is refused by default (534), offered in FEAT only when allowed", () => {
      const s = tlsOn();
      run(s, "");
      expect(run(s, "AUTH TLS\r\n", cccAnswers())).toEqual(["234"]);
      expect(run(s, "USER a\r\nPASS b\r\nCCC\r\n", cccAnswers())).toEqual(["331", "230", "534"]);
      const events: ServerEvent[] = [];
      run(s, "FEAT\r\n", cccAnswers(), events);
      const feat = events.find((e) => e.type === "reply");
      expect(feat?.type === "reply" && feat.lines).not.toContain(" CCC");
      const allowed = tlsOn({ allowCcc: true });
      const seen: ServerEvent[] = [];
      run(allowed, "FEAT\r\n", cccAnswers(), seen);
      const lines = seen.flatMap((e) => (e.type === "reply" && e.code === 211 ? e.lines : []));
      expect(lines).toEqual(expect.arrayContaining([" AUTH TLS", " CCC", " PBSZ", " PROT"]));
    });

    it("clears an explicit TLS control connection after login: 200, then clear-control; data keeps PROT P", () => {
      const s = tlsOn({ allowCcc: true });
      run(s, "");
      const events: ServerEvent[] = [];
      expect(run(s, "AUTH TLS\r\n", cccAnswers())).toEqual(["234"]);
      expect(run(s, "USER a\r\nPASS b\r\nPBSZ 0\r\nPROT P\r\nCCC\r\n", cccAnswers(), events)).toEqual([
        "331",
        "230",
        "200",
        "200",
        "200",
      ]);
      // The 200 comes before the request to end TLS, so it still travels under TLS.
      const types = events.map((e) => (e.type === "reply" ? `reply ${e.code}` : e.type));
      expect(types.slice(types.lastIndexOf("command"))).toEqual(["command", "reply 200", "clear-control"]);
      // A second CCC: the connection is already clear. AUTH again is not offered (503).
      expect(run(s, "CCC\r\nAUTH TLS\r\n", cccAnswers())).toEqual(["533", "503"]);
      // Data connections keep their protection level (RFC 4217 §5: CCC is about the control connection).
      const transfers: ServerEvent[] = [];
      expect(run(s, "EPSV\r\nRETR f\r\n", cccAnswers(), transfers)).toEqual(["229", "150", "226"]);
      const transfer = transfers.find((e) => e.type === "transfer");
      expect(transfer?.type === "transfer" && transfer.request.protect).toBe(true);
    });

    it("refuses before login (530), without TLS (533), on implicit FTPS and when TLS is required (534)", () => {
      const beforeLogin = tlsOn({ allowCcc: true });
      run(beforeLogin, "");
      expect(run(beforeLogin, "AUTH TLS\r\n", cccAnswers())).toEqual(["234"]);
      expect(run(beforeLogin, "CCC\r\n", cccAnswers())).toEqual(["530"]);

      const clear = tlsOn({ allowCcc: true });
      run(clear, "");
      expect(run(clear, "USER a\r\nPASS b\r\nCCC\r\n", cccAnswers())).toEqual(["331", "230", "533"]);

      const implicit = new ServerSession({
        peerAddress: "127.0.0.1",
        now: 0,
        secure: true,
        tls: { available: true, allowCcc: true },
      });
      run(implicit, "");
      expect(run(implicit, "USER a\r\nPASS b\r\nCCC\r\n", cccAnswers())).toEqual(["331", "230", "534"]);

      const required = tlsOn({ allowCcc: true, requireForControl: true });
      run(required, "");
      expect(run(required, "AUTH TLS\r\n", cccAnswers())).toEqual(["234"]);
      expect(run(required, "USER a\r\nPASS b\r\nCCC\r\n", cccAnswers())).toEqual(["331", "230", "534"]);

      const account = tlsOn({ allowCcc: true });
      run(account, "");
      const strict: AuthResult = { ok: true, permissions: "all", requireSecureControl: true };
      expect(run(account, "AUTH TLS\r\n", cccAnswers(true, strict))).toEqual(["234"]);
      expect(run(account, "USER a\r\nPASS b\r\nCCC\r\n", cccAnswers(true, strict))).toEqual(["331", "230", "534"]);
    });

    it("closes the session when the I/O layer could not clear the connection", () => {
      const s = tlsOn({ allowCcc: true });
      run(s, "");
      const events: ServerEvent[] = [];
      expect(run(s, "AUTH TLS\r\n", cccAnswers(false))).toEqual(["234"]);
      expect(run(s, "USER a\r\nPASS b\r\nCCC\r\n", cccAnswers(false), events)).toEqual(["331", "230", "200"]);
      expect(events.at(-1)).toEqual({ type: "close", reason: "refused" });
      expect(s.isClosed).toBe(true);
    });
  });
});

describe("framing and flow", () => {
  it("runs a whole conversation byte by byte", () => {
    const p = pair({ chunkSize: 1, files: { "/f": "data" } });
    p.login("alice", "secret");
    p.request("TYPE", "I");
    p.request("EPSV");
    p.request("RETR", "f");
    p.request("FEAT");
    expect(text(p.downloads.at(-1))).toBe("data");
    expect(p.clientEvents.at(-1)).toMatchObject({ type: "reply", reply: { code: 211 } });
  });

  it("answers pipelined commands in order", () => {
    const p = pair();
    p.sendRaw("USER alice\r\nPASS secret\r\nPWD\r\nNOOP\r\n");
    p.drive();
    const replies = p.wire.filter((w) => w.from === "server").map((w) => text(w.bytes).slice(0, 3));
    expect(replies).toEqual(["220", "331", "230", "257", "200"]);
  });

  it("applies back-pressure when commands pile up behind a running request", () => {
    const s = new ServerSession({ peerAddress: "127.0.0.1", now: 0, maxQueuedCommands: 4 });
    s.receiveData(new TextEncoder().encode("USER a\r\nPASS b\r\n"), 0);
    const events = [];
    for (let e = s.nextEvent(); e !== NEED_DATA && e !== PAUSED; e = s.nextEvent()) events.push(e);
    expect(events.filter((e) => e.type !== "command").map((e) => e.type)).toEqual(["reply", "reply", "authenticate"]);
    s.receiveData(new TextEncoder().encode("NOOP\r\n".repeat(10)), 0);
    expect(s.wantsInput).toBe(false);
    expect(s.nextEvent()).toBe(PAUSED);
    const auth = events.find((e) => e.type === "authenticate");
    s.handleAuthResult(auth?.type === "authenticate" ? auth.id : -1, { ok: true, permissions: "all" }, 0);
    expect(s.wantsInput).toBe(true);
  });

  it("closes on EOF and aborts a running transfer", () => {
    const s = new ServerSession({ peerAddress: "127.0.0.1", now: 0 });
    s.receiveEof(1);
    const events = [];
    for (let e = s.nextEvent(); e !== NEED_DATA && e !== PAUSED; e = s.nextEvent()) events.push(e);
    expect(events.at(-1)).toEqual({ type: "close", reason: "eof" });
    expect(s.isClosed).toBe(true);
  });
});

describe("refusal and shutdown", () => {
  const drain = (s: ServerSession) => {
    const events = [];
    for (let e = s.nextEvent(); e !== NEED_DATA && e !== PAUSED; e = s.nextEvent()) events.push(e);
    return events;
  };
  const replyCodes = (events: ReturnType<typeof drain>) => events.flatMap((e) => (e.type === "reply" ? [e.code] : []));

  it("replaces the greeting with 421 and closes when refused (RFC 959 §5.4)", () => {
    const s = new ServerSession({ peerAddress: "127.0.0.1", now: 0, refuse: "Too many connections." });
    const events = drain(s);
    expect(events.map((e) => e.type)).toEqual(["reply", "close"]);
    expect(events[0]).toMatchObject({ code: 421, lines: ["Too many connections."] });
    expect(events[1]).toEqual({ type: "close", reason: "refused" });
    expect(s.isClosed).toBe(true);
    s.receiveData(new TextEncoder().encode("USER a\r\n"), 0);
    expect(drain(s)).toEqual([]);
  });

  it("closes an idle session at once with 421 on shutdown", () => {
    const p = loggedIn();
    p.request("PASV");
    p.server.handleShutdown(p.clock.now());
    const events = drain(p.server);
    expect(events.map((e) => e.type)).toEqual(["close-data", "reply", "close"]);
    expect(events[1]).toMatchObject({ code: 421 });
    expect(events[2]).toEqual({ type: "close", reason: "shutdown" });
  });

  it("lets a running transfer finish, answers it, then 421 and close; queued lines are dropped", () => {
    const p = loggedIn({ holdTransfers: true, files: { "/f": "data" } });
    p.request("EPSV");
    p.request("RETR", "f");
    p.server.handleShutdown(p.clock.now());
    expect(p.server.isClosed).toBe(false);
    expect(drain(p.server)).toEqual([]);
    p.server.receiveData(new TextEncoder().encode("NOOP\r\n"), p.clock.now());
    const transfer = p.serverEvents.findLast((e) => e.type === "transfer");
    p.server.handleTransferResult(
      transfer?.type === "transfer" ? transfer.id : -1,
      { ok: true, bytes: 4 },
      p.clock.now(),
    );
    const events = drain(p.server);
    expect(replyCodes(events)).toEqual([226, 421]);
    expect(events.at(-1)).toEqual({ type: "close", reason: "shutdown" });
  });

  it("answers an aborted transfer with 426 before the 421", () => {
    const p = loggedIn({ holdTransfers: true, files: { "/f": "data" } });
    p.request("EPSV");
    p.request("RETR", "f");
    p.server.handleShutdown(p.clock.now());
    const transfer = p.serverEvents.findLast((e) => e.type === "transfer");
    p.server.handleTransferResult(
      transfer?.type === "transfer" ? transfer.id : -1,
      { ok: false, error: "aborted" },
      p.clock.now(),
    );
    expect(replyCodes(drain(p.server))).toEqual([426, 421]);
    expect(p.server.isClosed).toBe(true);
  });
});

describe("storage errors stay inside the sequence tables (RFC 959 §5.4)", () => {
  const enc = (line: string) => new TextEncoder().encode(`${line}\r\n`);
  const session = () => new ServerSession({ peerAddress: "127.0.0.1", now: 0, failedLoginDelay: 0 });
  function run(
    s: ServerSession,
    line: string,
    onEvent: (e: Exclude<ReturnType<ServerSession["nextEvent"]>, symbol>) => void,
  ) {
    s.receiveData(enc(line), 0);
    const replies: number[] = [];
    for (let e = s.nextEvent(); typeof e === "object"; e = s.nextEvent()) {
      if (e.type === "reply") replies.push(e.code);
      else onEvent(e);
    }
    return replies;
  }
  const login = (s: ServerSession) => {
    run(s, "USER a", () => {});
    run(s, "PASS b", (e) => {
      if (e.type === "authenticate") s.handleAuthResult(e.id, { ok: true, permissions: "all" }, 0);
    });
  };
  const failWith =
    (s: ServerSession, error: "io" | "too-large" | "busy" | "no-space") => (e: { type: string; id?: number }) => {
      if (e.type === "storage" && e.id !== undefined) s.handleStorageResult(e.id, { ok: false, error }, 0);
    };

  it.each([
    ["MKD d", "io", 550],
    ["STAT /x", "too-large", 450],
    ["STAT /x", "io", 450],
    ["DELE f", "busy", 450],
    ["DELE f", "io", 450],
    ["SIZE f", "io", 550],
    ["RNFR f", "no-space", 450],
  ] as const)("%s failing with %s gets %i", (line, error, code) => {
    const s = session();
    login(s);
    if (line.startsWith("SIZE")) run(s, "TYPE I", () => {});
    const replies = run(s, line, failWith(s, error));
    expect(replies).toEqual([code]);
    expect(isReplyAllowed(line.split(" ")[0] as "MKD", code)).toBe(true);
  });

  it("keeps a transfer's storage error inside its table (RETR no-space -> 450)", () => {
    const s = session();
    login(s);
    run(s, "PORT 127,0,0,1,4,1", () => {});
    const replies = run(s, "RETR f", (e) => {
      if (e.type === "transfer") s.handleTransferResult(e.id, { ok: false, error: "no-space" }, 0);
    });
    expect(replies).toEqual([450]);
  });
});

describe("robustness", () => {
  it("answers a line of control bytes with 500 (regression: NUL echoed into a reply threw)", () => {
    const p = pair();
    p.sendRaw(new Uint8Array([0, 10, 13, 0x7f, 13, 10]));
    p.drive();
    expect(p.wire.filter((w) => w.from === "server").map((w) => text(w.bytes).slice(0, 3))).toEqual([
      "220",
      "500",
      "500",
    ]);
  });

  test.prop([fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 6 })], { numRuns: 10_000 })(
    "never throws on arbitrary client bytes, whatever the I/O layer answers",
    (chunks) => {
      const s = new ServerSession({ peerAddress: "127.0.0.1", now: 0, failedLoginDelay: 0 });
      for (const chunk of chunks) {
        s.receiveData(chunk, 0);
        answerWithStubs(s, 0);
      }
    },
  );
});

describe("over-long paths stay inside the sequence tables (RFC 959 §5.4)", () => {
  it.each([
    "CWD",
    "LIST",
    "NLST",
    "MLSD",
    "MLST",
    "STAT",
    "RETR",
    "STOR",
    "APPE",
    "DELE",
    "RMD",
    "MKD",
    "RNFR",
    "SIZE",
    "MDTM",
    "HASH",
  ] as const)("%s of a path over the length limit", (verb) => {
    const s = new ServerSession({ peerAddress: "127.0.0.1", now: 0, failedLoginDelay: 0 });
    run(s, "USER a\r\nPASS b\r\nPASV\r\n", tlsAnswers());
    const codes = run(s, `${verb} ${"a/".repeat(3000)}\r\n`, tlsAnswers());
    expect(codes).toHaveLength(1);
    expect(isReplyAllowed(verb, Number(codes[0])), `${verb} -> ${codes[0]}`).toBe(true);
  });
});
