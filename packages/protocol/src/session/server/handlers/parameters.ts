import type { CommandOf } from "../../../command/index.js";
import type { SessionCore } from "../core.js";

/**
 * RFC 959 §4.1.2 TYPE. ASCII non-print (A, A N) and image (I, L 8) are supported; Telnet
 * and ASA format control, EBCDIC and other byte sizes are not (504).
 */
export function handleType(core: SessionCore, command: CommandOf<"TYPE">): void {
  const t = command.value;
  if (t.type === "A" && t.format === "N") {
    core.state.representation = "ascii";
    core.reply(200, "Switching to ASCII mode.");
  } else if (t.type === "I" || (t.type === "L" && t.byteSize === 8)) {
    core.state.representation = "binary";
    core.reply(200, "Switching to Binary mode.");
  } else {
    core.reply(504, "Unsupported TYPE: use A or I.");
  }
}

/** RFC 959 §4.1.2 MODE: stream mode only. */
export function handleMode(core: SessionCore, command: CommandOf<"MODE">): void {
  if (command.value === "S") core.reply(200, "Mode set to S.");
  else core.reply(504, "Only stream mode (S) is supported.");
}

/** RFC 959 §4.1.2 STRU: file structure only. */
export function handleStru(core: SessionCore, command: CommandOf<"STRU">): void {
  if (command.value === "F") core.reply(200, "Structure set to F.");
  else core.reply(504, "Only file structure (F) is supported.");
}

/** RFC 959 §4.1.3 ALLO: storage needs no reservation here (202 superfluous, as vsftpd). */
export function handleAllo(core: SessionCore): void {
  core.reply(202, "ALLO command ignored.");
}

/** RFC 3659 §5: REST sets the offset the next RETR/STOR/APPE starts at. */
export function handleRest(core: SessionCore, command: CommandOf<"REST">): void {
  core.state.restOffset = command.value;
  core.reply(350, `Restart position accepted (${command.value}).`);
}
