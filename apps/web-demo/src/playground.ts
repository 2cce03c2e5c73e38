import { type ClientEvent, decodeUtf8OrLatin1, isVerb, type ServerEvent, type Verb } from "@ftpkit/protocol";
import { ConnectionPair } from "@ftpkit/protocol/testing";

/**
 * The protocol playground's engine: a client session and a server session from
 * @ftpkit/protocol wired to each other in memory, with no server anywhere. Runs in the
 * browser unchanged (the protocol core has no Node APIs); this module uses no DOM either.
 */

/** One line of a playground transcript: who wrote it and the text on the wire. */
export interface TranscriptLine {
  readonly from: "client" | "server";
  readonly text: string;
}

export function runLoginScenario(user = "demo", password = "demo"): TranscriptLine[] {
  const pair = new ConnectionPair({ users: { [user]: password }, files: { "/welcome.txt": "Hello from ftpkit!\n" } });
  pair.login(user, password);
  pair.request("TYPE", "I");
  pair.request("EPSV");
  pair.request("RETR", "welcome.txt");
  pair.request("QUIT");
  const decoder = new TextDecoder();
  return pair.wire.map((w) => ({ from: w.from, text: decoder.decode(w.bytes).trimEnd() }));
}

/** One write on a connection, as the playground shows it. */
export interface WireEntry {
  readonly seq: number;
  readonly from: "client" | "server";
  /** The control connection, or a (simulated) data connection. */
  readonly channel: "control" | "data";
  readonly bytes: Uint8Array;
}

export interface ClientView {
  readonly state: string;
  readonly loggedIn: boolean;
  readonly idle: boolean;
  /** The transfer command in flight, e.g. `RETR big.txt`. */
  readonly transfer: string | undefined;
}

export interface ServerView {
  readonly loggedIn: boolean;
  readonly user: string | undefined;
  readonly cwd: string;
  readonly transferring: boolean;
  readonly closed: boolean;
}

export interface PlaygroundSnapshot {
  readonly client: ClientView;
  readonly server: ServerView;
  readonly wire: readonly WireEntry[];
  /** Each side's events, as one-line descriptions. */
  readonly clientEvents: readonly string[];
  readonly serverEvents: readonly string[];
  /** A transfer is held open (scenario "abort"), waiting for ABOR or {@link Playground.finishTransfer}. */
  readonly held: boolean;
}

export type StepResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

export const DEMO_USER = "demo";
export const DEMO_PASSWORD = "demo";

/** What the in-memory server holds at the start. */
export const DEMO_FILES: Readonly<Record<string, string>> = {
  "/welcome.txt": "Hello from ftpkit!\n",
  "/pub/": "",
  "/pub/alphabet.txt": "ABCDEFGHIJKLMNOPQRSTUVWXYZ\n",
};

/** What STOR, APPE and STOU send when typed in the playground. */
export const UPLOAD_TEXT = "Uploaded from the playground.\n";

export type ScenarioId = "login" | "passive-download" | "resume" | "abort";

export interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  readonly description: string;
  /** Command lines, in order; `finish` ends a held transfer. */
  readonly steps: readonly string[];
  readonly holdTransfers: boolean;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: "login",
    title: "Login",
    description: "The greeting, USER and PASS (331 asks for the password, 230 logs in), where am I, and goodbye.",
    steps: [`USER ${DEMO_USER}`, `PASS ${DEMO_PASSWORD}`, "SYST", "PWD", "QUIT"],
    holdTransfers: false,
  },
  {
    id: "passive-download",
    title: "Passive download",
    description:
      "Binary type, EPSV opens a passive data port (229), RETR sends the file: 150 before the data, 226 once it is all sent.",
    steps: [
      `USER ${DEMO_USER}`,
      `PASS ${DEMO_PASSWORD}`,
      "TYPE I",
      "SIZE welcome.txt",
      "EPSV",
      "RETR welcome.txt",
      "QUIT",
    ],
    holdTransfers: false,
  },
  {
    id: "resume",
    title: "Resume",
    description:
      "REST 13 (350: restart position accepted) makes the next RETR start at byte 13: only the rest is sent.",
    steps: [
      `USER ${DEMO_USER}`,
      `PASS ${DEMO_PASSWORD}`,
      "TYPE I",
      "SIZE pub/alphabet.txt",
      "PASV",
      "REST 13",
      "RETR pub/alphabet.txt",
      "QUIT",
    ],
    holdTransfers: false,
  },
  {
    id: "abort",
    title: "Abort",
    description:
      "The transfer is held open after its 150; ABOR ends it: 426 for the aborted transfer, then 226 for the ABOR itself.",
    steps: [`USER ${DEMO_USER}`, `PASS ${DEMO_PASSWORD}`, "TYPE I", "EPSV", "RETR pub/alphabet.txt", "ABOR", "NOOP"],
    holdTransfers: true,
  },
];

function describeClientEvent(event: ClientEvent): string {
  switch (event.type) {
    case "greeting":
      return `greeting ${event.reply.code}: ready`;
    case "preliminary":
      return `preliminary ${event.reply.code}${event.command ? ` for ${event.command.verb}` : ""}: transfer under way`;
    case "reply": {
      const offer = event.offer ? ` (data port ${event.offer.host ?? "same host"}:${event.offer.port})` : "";
      return `reply ${event.reply.code} to ${event.command.verb}: ${event.outcome}${offer}`;
    }
    case "transfer-complete":
      return `transfer complete: ${event.command.verb} got ${event.reply.code} and the data ended`;
    case "unexpected-reply":
      return `unexpected reply ${event.reply.code}`;
    case "closed":
      return `connection closed${event.reply ? ` after ${event.reply.code}` : ""}`;
    case "timeout":
      return `timeout waiting for ${event.phase}`;
  }
}

function describeServerEvent(event: ServerEvent): string | undefined {
  switch (event.type) {
    case "reply":
      return undefined; // the wire shows it
    case "command":
      return `command ${event.command.verb}${event.command.verb === "PASS" ? " ****" : event.command.argument ? ` ${event.command.argument}` : ""}`;
    case "authenticate":
      return `check password of ${event.user}`;
    case "login":
      return `logged in: ${event.user}`;
    case "login-failed":
      return `login failed: ${event.user} (attempt ${event.attempts})`;
    case "storage": {
      const r = event.request;
      return `storage: ${r.op} ${r.op === "rename" ? `${r.from} → ${r.to}` : r.path}`;
    }
    case "open-passive":
      return `open a passive data port (IPv${event.family})`;
    case "close-data":
      return "close the data connection";
    case "transfer":
      return `transfer: ${event.request.kind} ${event.request.path}${event.request.offset ? ` from byte ${event.request.offset}` : ""} (${event.request.representation})`;
    case "abort-transfer":
      return "abort the running transfer";
    case "secure-control":
      return "start TLS on the control connection";
    case "clear-control":
      return "end TLS on the control connection (CCC), keep the TCP connection";
    case "protocol-error":
      return `protocol error ${event.code}`;
    case "close":
      return `close the connection (${event.reason})`;
  }
}

/** Splits a typed line into a verb and its argument; undefined argument when there is none. */
export function parseLine(line: string): { verb: Verb; argument: string | undefined } | string {
  const text = line.replace(/[\r\n]+$/, "");
  const space = text.indexOf(" ");
  const word = (space === -1 ? text : text.slice(0, space)).toUpperCase();
  const argument = space === -1 ? undefined : text.slice(space + 1);
  if (word === "") return "Type a command, for example USER demo.";
  if (!isVerb(word)) return `${word} is not an FTP command this core knows.`;
  if (/[\r\n\0]/.test(argument ?? "")) return "A command argument cannot hold line breaks.";
  return { verb: word, argument: argument === "" ? undefined : argument };
}

/** An interactive client/server pair. */
export class Playground {
  readonly holdTransfers: boolean;
  private pair: ConnectionPair;
  private readonly wire: WireEntry[] = [];
  private seenWire = 0;
  private seenDownloads = 0;
  private seq = 0;

  constructor(options: { holdTransfers?: boolean } = {}) {
    this.holdTransfers = options.holdTransfers ?? false;
    this.pair = new ConnectionPair({
      users: { [DEMO_USER]: DEMO_PASSWORD },
      files: DEMO_FILES,
      holdTransfers: this.holdTransfers,
    });
    this.collect();
  }

  /** Sends one typed command line and runs the conversation until it settles. */
  run(line: string): StepResult {
    const parsed = parseLine(line);
    if (typeof parsed === "string") return { ok: false, error: parsed };
    if (this.pair.client.state === "closed")
      return { ok: false, error: "The connection is closed: reset to start again." };
    const upload = parsed.verb === "STOR" || parsed.verb === "APPE" || parsed.verb === "STOU";
    try {
      if (upload) this.uploadStart(parsed.verb, parsed.argument);
      else this.pair.request(parsed.verb, parsed.argument);
    } catch (error) {
      this.collect();
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    this.collect();
    return { ok: true };
  }

  /** Ends a transfer held open (the data is sent, then 226). */
  finishTransfer(): StepResult {
    try {
      this.pair.finishTransfer();
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    this.collect();
    return { ok: true };
  }

  snapshot(): PlaygroundSnapshot {
    const c = this.pair.client;
    const s = this.pair.server;
    const transfer = c.currentTransfer;
    return {
      client: {
        state: c.state,
        loggedIn: c.loggedIn,
        idle: c.idle,
        transfer:
          transfer === undefined ? undefined : `${transfer.verb}${transfer.argument ? ` ${transfer.argument}` : ""}`,
      },
      server: {
        loggedIn: s.loggedIn,
        user: s.user,
        cwd: s.workingDirectory,
        transferring: s.transferring,
        closed: s.isClosed,
      },
      wire: [...this.wire],
      clientEvents: this.pair.clientEvents.map(describeClientEvent),
      serverEvents: this.pair.serverEvents.flatMap((e) => describeServerEvent(e) ?? []),
      held: this.holdTransfers && s.transferring,
    };
  }

  private uploadStart(verb: Verb, argument: string | undefined): void {
    this.pair.request(verb, argument, { upload: UPLOAD_TEXT });
  }

  /** Moves new control writes and data into the wire list, in order. */
  private collect(): void {
    const wire = this.pair.wire;
    for (; this.seenWire < wire.length; this.seenWire++) {
      const w = wire[this.seenWire];
      if (w !== undefined) this.wire.push({ seq: ++this.seq, from: w.from, channel: "control", bytes: w.bytes });
    }
    const downloads = this.pair.downloads;
    for (; this.seenDownloads < downloads.length; this.seenDownloads++) {
      const d = downloads[this.seenDownloads];
      if (d !== undefined) this.wire.push({ seq: ++this.seq, from: "server", channel: "data", bytes: d });
    }
  }
}

/** Runs a whole scenario; returns the playground at its end and the first failure, if any. */
export function runScenario(id: ScenarioId): { playground: Playground; error: string | undefined } {
  const scenario = SCENARIOS.find((s) => s.id === id);
  if (scenario === undefined) throw new RangeError(`no scenario ${id}`);
  const playground = new Playground({ holdTransfers: scenario.holdTransfers });
  for (const step of scenario.steps) {
    const result = playground.run(step);
    if (!result.ok) return { playground, error: `${step}: ${result.error}` };
  }
  return { playground, error: undefined };
}

/** The text of a wire entry, control lines without their CRLF; undecodable bytes as Latin-1. */
export function wireText(entry: WireEntry): string {
  return decodeUtf8OrLatin1(entry.bytes).replace(/\r\n$/, "");
}

/** Hex bytes, space-separated (`55 53 45 52 20 ...`), cut after `max` bytes. */
export function hexBytes(bytes: Uint8Array, max = 48): string {
  const shown = Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, "0")).join(" ");
  return bytes.length > max ? `${shown} … (${bytes.length} bytes)` : shown;
}
