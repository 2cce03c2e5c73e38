import type { CommandOf } from "../../../command/index.js";
import { virtualDirname } from "../../../path/index.js";
import { quotePathname } from "../../../reply/index.js";
import type { SessionCore } from "../core.js";

function changeDirectory(core: SessionCore, path: string): void {
  core.storage({ op: "stat", path }, (result) => {
    if (!result.ok) {
      core.reply(550, result.error === "permission" ? "Permission denied." : "Failed to change directory.");
      return;
    }
    if (result.value.type !== "directory") {
      core.reply(550, "Failed to change directory: not a directory.");
      return;
    }
    core.state.cwd = path;
    core.reply(250, "Directory successfully changed.");
  });
}

/** RFC 959 §4.1.1 CWD (and XCWD). */
export function handleCwd(core: SessionCore, command: CommandOf<"CWD">): void {
  const path = core.resolvePath(command.value);
  if (path !== undefined) changeDirectory(core, path);
}

/** RFC 959 §4.1.1 CDUP (and XCUP): CWD to the parent; the root is its own parent. */
export function handleCdup(core: SessionCore): void {
  changeDirectory(core, virtualDirname(core.state.cwd));
}

/** RFC 959 §4.1.3 PWD (and XPWD): 257 with the quoted pathname (Appendix II). */
export function handlePwd(core: SessionCore): void {
  core.reply(257, `${quotePathname(core.state.cwd)} is the current directory.`);
}

/** RFC 959 §4.1.1 SMNT: not offered (vsftpd and pyftpdlib do the same). */
export function handleSmnt(core: SessionCore): void {
  core.reply(502, "SMNT not implemented.");
}
