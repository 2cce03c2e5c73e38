import type { CommandOf } from "../../../command/index.js";
import { normalizeVirtualPath } from "../../../path/index.js";
import type { SessionCore } from "../core.js";
import { nextLoginState } from "../login-state.js";
import { ALL_PERMISSIONS } from "../state.js";

/** RFC 4217 §4 / vsftpd `force_local_logins_ssl`: no credentials over a clear control connection. */
function refuseClearLogin(core: SessionCore): boolean {
  if (core.options.requireTlsForControl && !core.state.secure) {
    core.reply(530, "TLS required: use AUTH TLS before logging in.");
    return true;
  }
  return false;
}

/** RFC 959 §4.1.1 USER; answered 331 for every name so that names cannot be probed. */
export function handleUser(core: SessionCore, command: CommandOf<"USER">): void {
  if (refuseClearLogin(core)) return;
  if (core.state.login === "logged-in") {
    core.reply(530, "Can't change to another user.");
    return;
  }
  core.state.login = nextLoginState(core.state.login, "USER") ?? core.state.login;
  core.state.user = command.value;
  core.reply(331, "Please specify the password.");
}

/** RFC 959 §4.1.1 PASS; a failed attempt is answered after a delay (time is an input). */
export function handlePass(core: SessionCore, command: CommandOf<"PASS">): void {
  if (core.state.login === "logged-in") {
    core.reply(230, "Already logged in.");
    return;
  }
  if (core.state.login !== "need-password" || core.state.user === undefined) {
    core.reply(503, "Login with USER first.");
    return;
  }
  if (refuseClearLogin(core)) return;
  const user = core.state.user;
  core.authenticate(user, command.value, (result) => {
    if (result.ok && result.requireSecureControl && !core.state.secure) {
      // A per-account "TLS required" (vsftpd's force_local_logins_ssl for one user): the
      // credentials were right, but the session must not start over a clear control
      // connection. Not a failed guess, so no delay and no count towards maxLoginAttempts.
      core.state.login = nextLoginState(core.state.login, "PASS_FAILED") ?? "no-user";
      core.state.user = undefined;
      core.reply(530, "TLS required for this account: use AUTH TLS before logging in.");
      return;
    }
    if (result.ok) {
      core.state.login = nextLoginState(core.state.login, "PASS_OK") ?? "logged-in";
      core.state.permissions = new Set(result.permissions === "all" ? ALL_PERMISSIONS : result.permissions);
      core.state.fxp = result.fxp ?? false;
      core.state.requireSecureData = result.requireSecureData;
      core.state.requireSecureControl = result.requireSecureControl ?? false;
      core.state.cwd = normalizeVirtualPath(result.home ?? "/");
      core.state.failedLogins = 0;
      core.lastActivity = core.now;
      core.emit({ type: "login", user });
      core.reply(230, "Login successful.");
      return;
    }
    core.state.login = nextLoginState(core.state.login, "PASS_FAILED") ?? "no-user";
    core.state.user = undefined;
    if (result.close) {
      core.reply(421, result.message ?? "Service not available, closing control connection.");
      core.close("refused");
      return;
    }
    core.state.failedLogins++;
    const attempts = core.state.failedLogins;
    core.emit({ type: "login-failed", user, attempts });
    core.delay(core.now + core.options.failedLoginDelay, () => {
      core.reply(530, result.message ?? "Login incorrect.");
      if (attempts >= core.options.maxLoginAttempts) {
        core.reply(421, "Too many failed login attempts, closing control connection.");
        core.close("too-many-failures");
      }
    });
  });
}

/** RFC 959 §4.1.1 ACCT: no account information is needed here (202 superfluous). */
export function handleAcct(core: SessionCore): void {
  core.reply(202, "ACCT not needed.");
}

/** RFC 959 §4.1.1 REIN: flush user state, keep the control connection (and its TLS). */
export function handleRein(core: SessionCore): void {
  core.resetForRein();
  core.reply(220, "Service ready for new user.");
}

/** RFC 959 §4.1.1 QUIT. */
export function handleQuit(core: SessionCore): void {
  core.reply(221, "Goodbye.");
  core.close("quit");
}

/** RFC 7151 §3: HOST comes before USER; 504 for an unknown host. */
export function handleHost(core: SessionCore, command: CommandOf<"HOST">): void {
  if (core.state.login !== "no-user") {
    core.reply(503, "HOST must be sent before USER.");
    return;
  }
  const hosts = core.options.virtualHosts;
  const name = command.value.replace(/^\[|\]$/g, "");
  if (hosts !== undefined && !hosts.includes(name) && !hosts.includes(command.value)) {
    core.reply(504, "Unknown host.");
    return;
  }
  core.state.host = command.value;
  core.reply(220, "Host accepted.");
}
