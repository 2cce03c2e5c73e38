import type { CommandOf, Verb } from "../../../command/index.js";
import { virtualBasename } from "../../../path/index.js";
import type { RunningTransfer, SessionCore } from "../core.js";
import type { TransferKind, TransferResult } from "../types.js";

const FINAL_TEXT: Readonly<Record<TransferKind, string>> = {
  retr: "Transfer complete.",
  stor: "Transfer complete.",
  appe: "Transfer complete.",
  stou: "Transfer complete.",
  list: "Directory send OK.",
  nlst: "Directory send OK.",
  mlsd: "MLSD complete.",
};

/** The 150 reply (RFC 959 §4.2: "File status okay; about to open data connection"). */
export function preliminaryText(transfer: RunningTransfer, info: { name?: string; size?: number }): string {
  const { kind, representation, path } = transfer.request;
  const mode = representation === "ascii" ? "ASCII" : "BINARY";
  switch (kind) {
    case "retr":
      return info.size === undefined
        ? `Opening ${mode} mode data connection for ${virtualBasename(path)}.`
        : `Opening ${mode} mode data connection for ${virtualBasename(path)} (${info.size} bytes).`;
    case "stou":
      // RFC 1123 §4.1.2.9: the 150 reply to STOU names the file: "150 FILE: pppp".
      return `FILE: ${info.name ?? virtualBasename(path)}`;
    case "stor":
    case "appe":
      return `Ok to send data (${mode} mode).`;
    default:
      return "Here comes the directory listing.";
  }
}

/** Replies to the end of a transfer and, when asked, to the ABOR or QUIT that waited for it. */
export function finishTransfer(core: SessionCore, transfer: RunningTransfer, result: TransferResult): void {
  const kind = transfer.request.kind;
  if (result.ok) {
    core.reply(226, FINAL_TEXT[kind]);
  } else {
    switch (result.error) {
      case "data-connection":
        core.reply(425, "Failed to establish data connection.");
        break;
      case "aborted":
      case "connection-lost":
        core.reply(426, "Connection closed; transfer aborted.");
        break;
      case "timeout":
        core.reply(426, "Data connection timed out; transfer aborted.");
        break;
      case "too-slow":
        core.reply(426, "Data connection too slow; transfer aborted.");
        break;
      // RFC 4217 §10.2: "Should the server not like the TLS negotiation, then it will close the
      // data port immediately and follow the '150' command with a '522' reply"; when the reason
      // is that the data connection did not use a cached TLS session, "the '522' reply should
      // indicate this". vsftpd does so ("session reuse required", text FluentFTP and others
      // match); ProFTPD and FileZilla Server answer 425 instead.
      case "tls-failed":
        core.reply(522, "Data connection TLS negotiation failed.");
        break;
      case "tls-not-resumed":
        core.reply(522, "SSL connection failed: session reuse required.");
        break;
      default:
        if (kind === "mlsd" && result.error === "not-directory") {
          // RFC 3659 §7.2.2: MLSD of a non-directory is a 501.
          core.reply(501, "Not a directory.");
        } else {
          core.replyStorageError(result.error, kind.toUpperCase() as Verb);
        }
    }
  }
  if (transfer.abortRequested) {
    // RFC 959 §4.1.3 ABOR: 426 for the aborted service (sent above), then 226.
    core.reply(226, "ABOR successful.");
  }
  if (transfer.quitAfter) {
    core.reply(221, "Goodbye.");
    core.close("quit");
  }
}

function startTransfer(core: SessionCore, kind: TransferKind, path: string, listOptions = ""): void {
  const s = core.state;
  if (s.data === undefined) {
    core.reply(425, "Use PORT, PASV, EPRT or EPSV first.");
    return;
  }
  if (core.dataProtectionRequired && s.prot !== "P") {
    // RFC 4217 §10.2: a server that requires protected data refuses the transfer command with
    // "521 data connection cannot be opened with this PROT setting", before any 1yz.
    core.reply(521, "Data connections must be encrypted: use PROT P.");
    return;
  }
  const offset = kind === "retr" || kind === "stor" || kind === "appe" ? s.restOffset : 0;
  const data = s.data;
  s.restOffset = 0;
  s.data = undefined;
  core.transfer({
    kind,
    path,
    offset,
    representation: kind === "list" || kind === "nlst" || kind === "mlsd" ? "ascii" : s.representation,
    data,
    protect: s.prot === "P",
    listOptions,
    facts: [...s.mlstFacts],
    permissions: new Set(s.permissions),
  });
}

/** RFC 959 §4.1.3 RETR. */
export function handleRetr(core: SessionCore, command: CommandOf<"RETR">): void {
  const path = core.resolvePath(command.value);
  if (path !== undefined) startTransfer(core, "retr", path);
}

/** RFC 959 §4.1.3 STOR. */
export function handleStor(core: SessionCore, command: CommandOf<"STOR">): void {
  const path = core.resolvePath(command.value);
  if (path !== undefined) startTransfer(core, "stor", path);
}

/** RFC 959 §4.1.3 APPE. */
export function handleAppe(core: SessionCore, command: CommandOf<"APPE">): void {
  const path = core.resolvePath(command.value);
  if (path !== undefined) startTransfer(core, "appe", path);
}

/** RFC 959 §4.1.3 STOU: the I/O layer picks a unique name in the directory (or next to the given name). */
export function handleStou(core: SessionCore, command: CommandOf<"STOU">): void {
  const path = core.resolvePath(command.value);
  if (path !== undefined) startTransfer(core, "stou", path);
}

/** RFC 959 §4.1.3 LIST. */
export function handleList(core: SessionCore, command: CommandOf<"LIST">): void {
  const path = core.resolvePath(command.value.path);
  if (path !== undefined) startTransfer(core, "list", path, command.value.options);
}

/** RFC 959 §4.1.3 NLST. */
export function handleNlst(core: SessionCore, command: CommandOf<"NLST">): void {
  const path = core.resolvePath(command.value.path);
  if (path !== undefined) startTransfer(core, "nlst", path, command.value.options);
}

/** RFC 3659 §7 MLSD. */
export function handleMlsd(core: SessionCore, command: CommandOf<"MLSD">): void {
  const path = core.resolvePath(command.value);
  if (path !== undefined) startTransfer(core, "mlsd", path);
}

/**
 * RFC 959 §4.1.3 ABOR. With a transfer running, the I/O layer is told to stop it and the
 * replies (426, then 226) follow when it reports the end; otherwise 225 (vsftpd's answer).
 */
export function handleAbor(core: SessionCore): void {
  const pending = core.pending;
  if (pending?.kind === "transfer") {
    if (!pending.transfer.abortRequested) {
      pending.transfer.abortRequested = true;
      core.emit({ type: "abort-transfer", id: pending.id });
    }
    return;
  }
  core.dropDataSetup();
  core.reply(225, "No transfer to ABOR.");
}
