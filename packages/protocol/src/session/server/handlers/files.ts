import type { CommandOf } from "../../../command/index.js";
import { formatMlsxTime } from "../../../listing/index.js";
import { quotePathname } from "../../../reply/index.js";
import type { SessionCore } from "../core.js";
import { formatMlsxListingEntry } from "../listing-lines.js";

/** RFC 959 §4.1.3 DELE. */
export function handleDele(core: SessionCore, command: CommandOf<"DELE">): void {
  const path = core.resolvePath(command.value);
  if (path === undefined) return;
  core.storage({ op: "delete", path }, (r) => {
    if (r.ok) core.reply(250, "Delete operation successful.");
    else core.replyStorageError(r.error);
  });
}

/** RFC 959 §4.1.3 RMD (and XRMD). The root cannot be removed. */
export function handleRmd(core: SessionCore, command: CommandOf<"RMD">): void {
  const path = core.resolvePath(command.value);
  if (path === undefined) return;
  if (path === "/") {
    core.reply(550, "Permission denied.");
    return;
  }
  core.storage({ op: "rmdir", path }, (r) => {
    if (r.ok) core.reply(250, "Remove directory operation successful.");
    else core.replyStorageError(r.error);
  });
}

/** RFC 959 §4.1.3 MKD (and XMKD): 257 with the quoted absolute pathname (Appendix II). */
export function handleMkd(core: SessionCore, command: CommandOf<"MKD">): void {
  const path = core.resolvePath(command.value);
  if (path === undefined) return;
  core.storage({ op: "mkdir", path }, (r) => {
    if (r.ok) core.reply(257, `${quotePathname(path)} created.`);
    else core.replyStorageError(r.error);
  });
}

/** RFC 959 §4.1.3 RNFR: the source must exist; 350 asks for RNTO. */
export function handleRnfr(core: SessionCore, command: CommandOf<"RNFR">): void {
  const path = core.resolvePath(command.value);
  if (path === undefined) return;
  if (path === "/") {
    core.reply(550, "Permission denied.");
    return;
  }
  core.storage({ op: "stat", path }, (r) => {
    if (!r.ok) {
      core.replyStorageError(r.error);
      return;
    }
    core.state.renameFrom = path;
    core.reply(350, "Ready for RNTO.");
  });
}

/** RFC 959 §4.1.3 RNTO: must immediately follow RNFR (§5.4), else 503. */
export function handleRnto(core: SessionCore, command: CommandOf<"RNTO">): void {
  const from = core.state.renameFrom;
  core.state.renameFrom = undefined;
  if (from === undefined) {
    core.reply(503, "RNFR required first.");
    return;
  }
  const to = core.resolvePath(command.value);
  if (to === undefined) return;
  if (to === "/" || to.startsWith(`${from}/`)) {
    core.reply(553, "Can't move a directory into itself.");
    return;
  }
  core.storage({ op: "rename", from, to }, (r) => {
    if (r.ok) core.reply(250, "Rename successful.");
    else core.replyStorageError(r.error);
  });
}

/**
 * RFC 3659 §4 SIZE: "the SIZE command returns how many octets would be transferred by a
 * RETR in the current TYPE". The octet count of a TYPE A transfer is not known without
 * reading the file, so in TYPE A it is refused (ProFTPD and pyftpdlib do the same).
 */
export function handleSize(core: SessionCore, command: CommandOf<"SIZE">): void {
  const path = core.resolvePath(command.value);
  if (path === undefined) return;
  if (core.state.representation === "ascii") {
    core.reply(550, "SIZE not allowed in ASCII mode: send TYPE I first.");
    return;
  }
  core.storage({ op: "stat", path }, (r) => {
    if (!r.ok) core.replyStorageError(r.error);
    else if (r.value.type === "directory") core.reply(550, "Could not get file size: not a plain file.");
    else core.reply(213, String(r.value.size));
  });
}

/** RFC 3659 §3 MDTM: 213 with a UTC time-val. */
export function handleMdtm(core: SessionCore, command: CommandOf<"MDTM">): void {
  const path = core.resolvePath(command.value);
  if (path === undefined) return;
  core.storage({ op: "stat", path }, (r) => {
    if (!r.ok) core.replyStorageError(r.error);
    else if (r.value.type === "directory") core.reply(550, "Could not get modification time: not a plain file.");
    else core.reply(213, formatMlsxTime(r.value.modifiedAt));
  });
}

/** draft-somers-ftp-mfxx MFMT: sets the modification time; answers `213 Modify=...; path`. */
export function handleMfmt(core: SessionCore, command: CommandOf<"MFMT">): void {
  const path = core.resolvePath(command.value.path);
  if (path === undefined) return;
  const mtime = command.value.time;
  core.storage({ op: "set-mtime", path, mtime }, (r) => {
    if (r.ok) core.reply(213, `Modify=${formatMlsxTime(mtime)}; ${command.value.path}`);
    else core.replyStorageError(r.error);
  });
}

/** RFC 3659 §7.2 MLST: the facts of one object on the control connection, in a 250 reply. */
export function handleMlst(core: SessionCore, command: CommandOf<"MLST">): void {
  const path = core.resolvePath(command.value);
  if (path === undefined) return;
  core.storage({ op: "stat", path }, (r) => {
    if (!r.ok) {
      core.replyStorageError(r.error);
      return;
    }
    // RFC 3659 §7.2: the entry line starts with one space; the name is the object's pathname.
    const line = ` ${formatMlsxListingEntry(r.value, core.state.mlstFacts, core.state.permissions, path)}`;
    core.reply(250, [`Listing ${path}`, line, "End"]);
  });
}

/**
 * draft-bryan-ftpext-hash §3: `213 <algorithm> <start>-<end> <hash> <pathname>`, the range
 * being the whole file here.
 */
export function handleHash(core: SessionCore, command: CommandOf<"HASH">): void {
  const path = core.resolvePath(command.value);
  if (path === undefined) return;
  const algorithm = core.state.hashAlgorithm;
  core.storage({ op: "hash", path, algorithm }, (r) => {
    if (!r.ok) {
      core.replyStorageError(r.error);
      return;
    }
    const end = Math.max(0, r.value.size - 1);
    core.reply(213, `${algorithm} 0-${end} ${r.value.digest} ${command.value}`);
  });
}

/** RFC 959 §4.1.3 SITE: HELP and CHMOD. */
export function handleSite(core: SessionCore, command: CommandOf<"SITE">): void {
  const { command: sub, argument } = command.value;
  switch (sub) {
    case "HELP":
      core.reply(214, core.options.chmod ? "CHMOD HELP" : "HELP");
      return;
    case "CHMOD": {
      if (!core.options.chmod) {
        core.reply(502, "SITE CHMOD not supported by this file system.");
        return;
      }
      if (!core.state.permissions.has("chmod")) {
        core.reply(550, "Permission denied.");
        return;
      }
      const m = /^([0-7]{1,4}) (.+)$/s.exec(argument);
      if (!m) {
        core.reply(501, "SITE CHMOD needs an octal mode and a pathname.");
        return;
      }
      const path = core.resolvePath(m[2]);
      if (path === undefined) return;
      core.storage({ op: "chmod", path, mode: Number.parseInt(m[1] as string, 8) }, (r) => {
        if (r.ok) core.reply(200, "SITE CHMOD command ok.");
        else core.replyStorageError(r.error);
      });
      return;
    }
    default:
      core.reply(500, "Unknown SITE command.");
  }
}
