import { COMMANDS, type CommandOf, isVerb, VERBS } from "../../../command/index.js";
import type { SessionCore } from "../core.js";
import { formatListingEntry } from "../listing-lines.js";
import { MLST_FACTS } from "../state.js";
import type { HashAlgorithm } from "../types.js";

/** RFC 959 §4.1.3 SYST: "UNIX Type: L8" is what every client expects. */
export function handleSyst(core: SessionCore): void {
  core.reply(215, core.options.systemType);
}

/** RFC 959 §4.1.3 NOOP. */
export function handleNoop(core: SessionCore): void {
  core.reply(200, "NOOP ok.");
}

/** The FEAT lines (RFC 2389 §3.2: each feature on its own line, starting with one space). */
export function featureLines(core: SessionCore): string[] {
  const o = core.options;
  const features: string[] = [];
  if (o.tlsAvailable) {
    features.push("AUTH TLS", "AUTH SSL");
    // RFC 4217 defines no FEAT line for CCC; ProFTPD sends one, and it tells a client that asks.
    if (o.allowCcc) features.push("CCC");
    features.push("PBSZ", "PROT");
  }
  features.push("EPRT", "EPSV");
  features.push(`HASH ${o.hashAlgorithms.map((a) => (a === core.state.hashAlgorithm ? `${a}*` : a)).join(";")}`);
  features.push("HOST", "LANG EN*", "MDTM", "MFMT");
  // RFC 3659 §7.8: "MLST" followed by the facts, those on by default marked with "*".
  features.push(`MLST ${MLST_FACTS.map((f) => (core.state.mlstFacts.includes(f) ? `${f}*;` : `${f};`)).join("")}`);
  features.push("PASV", "REST STREAM", "SIZE", "TVFS", "UTF8");
  return ["Features:", ...features.map((f) => ` ${f}`), "End"];
}

/** RFC 2389 §3 FEAT. */
export function handleFeat(core: SessionCore): void {
  core.reply(211, featureLines(core));
}

/** RFC 2389 §4 OPTS: UTF8 (RFC 2640 §3.2 as clients use it), MLST (RFC 3659 §7.9), HASH. */
export function handleOpts(core: SessionCore, command: CommandOf<"OPTS">): void {
  const { name, value } = command.value;
  switch (name) {
    case "UTF8":
    case "UTF-8": {
      const v = value.trim().toUpperCase();
      if (v === "ON" || v === "") core.reply(200, "Always in UTF8 mode.");
      else if (v === "OFF") core.reply(200, "Always in UTF8 mode; OFF is ignored.");
      else core.reply(501, "OPTS UTF8 takes ON or OFF.");
      return;
    }
    case "MLST": {
      // RFC 3659 §7.9: unknown facts are ignored; the reply lists the facts now selected.
      const wanted = value
        .split(";")
        .map((f) => f.trim().toLowerCase())
        .filter((f) => f !== "");
      const selected = MLST_FACTS.filter((f) => wanted.includes(f));
      core.state.mlstFacts = [...selected];
      core.reply(200, `MLST OPTS ${selected.map((f) => `${f};`).join("")}`);
      return;
    }
    case "HASH": {
      const v = value.trim().toUpperCase();
      if (v === "") {
        core.reply(200, core.state.hashAlgorithm);
        return;
      }
      const algorithm = core.options.hashAlgorithms.find((a) => a === v);
      if (algorithm === undefined) {
        core.reply(501, "Unknown hash algorithm.");
        return;
      }
      core.state.hashAlgorithm = algorithm as HashAlgorithm;
      core.reply(200, algorithm);
      return;
    }
    default:
      core.reply(501, "Option not understood.");
  }
}

/** RFC 2640 §4 LANG: English only. */
export function handleLang(core: SessionCore, command: CommandOf<"LANG">): void {
  const tag = command.value;
  if (tag === undefined || tag === "EN" || tag.startsWith("EN-")) core.reply(200, "Language set to EN.");
  else core.reply(504, "Unsupported language: EN only.");
}

/** RFC 959 §4.1.3 HELP: the verbs, or one verb's syntax. */
export function handleHelp(core: SessionCore, command: CommandOf<"HELP">): void {
  const topic = command.value;
  if (topic === undefined) {
    const rows: string[] = [];
    for (let i = 0; i < VERBS.length; i += 8)
      rows.push(
        ` ${VERBS.slice(i, i + 8)
          .map((v) => v.padEnd(5))
          .join(" ")}`,
      );
    core.reply(214, ["The following commands are recognized.", ...rows, "Help OK."]);
    return;
  }
  if (!isVerb(topic)) {
    core.reply(502, `Unknown command ${topic.slice(0, 40)}.`);
    return;
  }
  core.reply(214, `Syntax: ${COMMANDS[topic].syntax}`);
}

/**
 * RFC 959 §4.1.3 STAT. Without an argument: the session status (211). With a pathname: a
 * listing on the control connection (213), which saves a data connection.
 */
export function handleStat(core: SessionCore, command: CommandOf<"STAT">): void {
  const pending = core.pending;
  if (pending?.kind === "transfer") {
    const t = pending.transfer.request;
    core.reply(211, ["Status:", ` Transfer in progress: ${t.kind.toUpperCase()} ${t.path}`, "End of status."]);
    return;
  }
  if (command.value.path === undefined) {
    const s = core.state;
    core.reply(211, [
      "FTP server status:",
      ` Connected to ${core.options.peerAddress}`,
      s.login === "logged-in" ? ` Logged in as ${s.user ?? ""}` : " Not logged in",
      ` TYPE: ${s.representation === "ascii" ? "ASCII" : "BINARY"}, STRUcture: File, MODE: Stream`,
      ` Control connection: ${s.secure ? "TLS" : "clear"}; data protection: ${s.prot === "P" ? "private" : "clear"}`,
      s.data === undefined ? " No data connection" : ` Data connection: ${s.data.mode}`,
      "End of status.",
    ]);
    return;
  }
  if (core.state.login !== "logged-in") {
    core.reply(530, "Please login with USER and PASS.");
    return;
  }
  if (!core.state.permissions.has("list")) {
    core.reply(550, "Permission denied.");
    return;
  }
  const path = core.resolvePath(command.value.path);
  if (path === undefined) return;
  const now = new Date(core.now);
  core.storage({ op: "list", path }, (r) => {
    if (!r.ok) {
      core.replyStorageError(r.error);
      return;
    }
    const lines = r.value.map((entry) => formatListingEntry(entry, now));
    core.reply(213, [`Status of ${path}:`, ...lines, "End of status."]);
  });
}
