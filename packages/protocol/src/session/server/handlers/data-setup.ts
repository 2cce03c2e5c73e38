import {
  checkActiveDataTarget,
  formatEpsvReplyText,
  formatPasvReplyText,
  type HostPort,
  isIPv4,
} from "../../../address/index.js";
import type { CommandOf } from "../../../command/index.js";
import { LocalProtocolError } from "../../../errors/index.js";
import type { SessionCore } from "../core.js";

/** RFC 2428 §3: "after EPSV ALL ... the server MUST reject all data connection setup commands other than EPSV". */
function refusedAfterEpsvAll(core: SessionCore, verb: string): boolean {
  if (!core.state.epsvAll) return false;
  core.reply(503, `${verb} not allowed after EPSV ALL.`);
  return true;
}

function setActiveTarget(core: SessionCore, target: HostPort, verb: string): void {
  try {
    // RFC 2577 §3: refuse targets other than the control peer, and privileged ports.
    checkActiveDataTarget(target, core.options.peerAddress, { allowForeignHost: core.state.fxp });
  } catch (error) {
    if (LocalProtocolError.isInstance(error)) {
      core.emit({ type: "protocol-error", code: error.code, line: verb });
      core.reply(error.replyHint, `Illegal ${verb} command.`);
      return;
    }
    throw error;
  }
  core.dropDataSetup();
  core.state.data = { mode: "active", target };
  core.reply(200, `${verb} command successful. Consider using EPSV.`);
}

/** RFC 959 §4.1.2 PORT. */
export function handlePort(core: SessionCore, command: CommandOf<"PORT">): void {
  if (refusedAfterEpsvAll(core, "PORT")) return;
  setActiveTarget(core, command.value, "PORT");
}

/** RFC 2428 §2 EPRT. */
export function handleEprt(core: SessionCore, command: CommandOf<"EPRT">): void {
  if (refusedAfterEpsvAll(core, "EPRT")) return;
  const { host, port } = command.value;
  setActiveTarget(core, { host, port }, "EPRT");
}

/** RFC 959 §4.1.2 PASV: IPv4 only (RFC 2428 §1: PASV cannot carry an IPv6 address). */
export function handlePasv(core: SessionCore): void {
  if (refusedAfterEpsvAll(core, "PASV")) return;
  if (core.options.family === 6) {
    core.reply(425, "PASV cannot be used on an IPv6 connection: use EPSV.");
    return;
  }
  core.dropDataSetup();
  core.openPassive(4, (result) => {
    if (!result.ok || !isIPv4(result.address.host)) {
      core.reply(425, "Can't open passive connection.");
      return;
    }
    core.state.data = { mode: "passive" };
    core.reply(227, formatPasvReplyText(result.address));
  });
}

/** RFC 2428 §3 EPSV, `EPSV 1|2` and `EPSV ALL`. */
export function handleEpsv(core: SessionCore, command: CommandOf<"EPSV">): void {
  const arg = command.value;
  if (arg.kind === "all") {
    core.state.epsvAll = true;
    core.reply(200, "EPSV ALL ok.");
    return;
  }
  const own = core.options.family === 4 ? 1 : 2;
  if (arg.kind === "family" && arg.family !== own) {
    // RFC 2428 §3: the data connection uses the control connection's network protocol here.
    core.reply(522, `Network protocol not supported, use (${own})`);
    return;
  }
  core.dropDataSetup();
  core.openPassive(core.options.family, (result) => {
    if (!result.ok) {
      core.reply(425, "Can't open passive connection.");
      return;
    }
    core.state.data = { mode: "passive" };
    core.reply(229, formatEpsvReplyText(result.address.port));
  });
}
