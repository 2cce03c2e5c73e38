import type { CommandOf } from "../../../command/index.js";
import type { SessionCore } from "../core.js";

/**
 * RFC 2228 §3 / RFC 4217 §4 AUTH. TLS and SSL (and the rare TLS-C / TLS-P) start TLS on
 * the control connection after the 234 reply has been sent.
 */
export function handleAuth(core: SessionCore, command: CommandOf<"AUTH">): void {
  if (!core.options.tlsAvailable) {
    core.reply(502, "AUTH not available: this server has no TLS certificate.");
    return;
  }
  if (core.state.secure) {
    core.reply(503, "Already using TLS.");
    return;
  }
  const mechanism = command.value;
  if (mechanism !== "TLS" && mechanism !== "SSL" && mechanism !== "TLS-C" && mechanism !== "TLS-P") {
    core.reply(504, `Unknown AUTH type ${mechanism.slice(0, 20)}.`);
    return;
  }
  core.reply(234, `AUTH ${mechanism} successful.`);
  core.secureControl((ok) => {
    if (!ok) {
      core.close("refused");
      return;
    }
    core.state.secure = true;
    // Old "AUTH SSL" and "AUTH TLS-P" clients expect protected data without PROT P (ProFTPD does the same).
    if (mechanism === "SSL" || mechanism === "TLS-P") {
      core.state.pbsz = true;
      core.state.prot = "P";
    }
  });
}

/** RFC 4217 §9 PBSZ: must follow AUTH (and precede PROT); 0 is the only size that makes sense for TLS. */
export function handlePbsz(core: SessionCore, command: CommandOf<"PBSZ">): void {
  if (!core.state.secure) {
    core.reply(503, "PBSZ not allowed on an insecure control connection.");
    return;
  }
  core.state.pbsz = true;
  core.reply(200, command.value === 0 ? "PBSZ=0" : "PBSZ=0 (TLS needs no buffer size)");
}

/** RFC 4217 §9 PROT: C (clear) or P (private); S and E are not offered by TLS (536). */
export function handleProt(core: SessionCore, command: CommandOf<"PROT">): void {
  if (!core.state.secure) {
    core.reply(503, "PROT not allowed on an insecure control connection.");
    return;
  }
  if (!core.state.pbsz) {
    core.reply(503, "PBSZ required before PROT.");
    return;
  }
  const level = command.value;
  if (level === "C") {
    if (core.dataProtectionRequired) {
      core.reply(534, "PROT C refused: data connections must be encrypted.");
      return;
    }
    core.state.prot = "C";
    core.reply(200, "PROT now Clear.");
  } else if (level === "P") {
    core.state.prot = "P";
    core.reply(200, "PROT now Private.");
  } else {
    core.reply(536, "PROT S and E are not supported; use C or P.");
  }
}

/**
 * RFC 4217 §5 CCC ("Clear Command Channel", RFC 2228 §3): TLS on the control connection ends,
 * the TCP connection stays, and commands continue in clear text; data connections keep their
 * PROT level. It exists for NAT firewalls that must read PORT/PASV. Refused (534) unless the
 * server allows it, on an implicit-FTPS connection (no clear state to return to), and when
 * the server or the account requires TLS on the control connection (clearing it would undo
 * that policy). Only after login: the credentials must never travel in the clear.
 */
export function handleCcc(core: SessionCore): void {
  if (!core.state.secure || core.state.controlCleared) {
    core.reply(533, "CCC needs a TLS control connection.");
    return;
  }
  if (!core.options.allowCcc) {
    core.reply(534, "CCC refused by policy.");
    return;
  }
  if (core.options.implicitTls) {
    core.reply(534, "CCC refused: this is an implicit FTPS connection.");
    return;
  }
  if (core.options.requireTlsForControl || core.state.requireSecureControl) {
    core.reply(534, "CCC refused: TLS is required on the control connection.");
    return;
  }
  core.reply(200, "CCC command successful: the control connection is now clear.");
  core.clearControl((ok) => {
    if (!ok) {
      core.close("refused");
      return;
    }
    core.state.controlCleared = true;
  });
}
