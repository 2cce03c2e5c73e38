/**
 * Registers the commands that live in this folder, and the flags every command takes, on
 * the `ftpkit` program (cli.ts keeps `serve` and `dev`).
 */
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import { examples } from "./common.js";
import { registerCp } from "./cp.js";
import { registerMkdir, registerMv, registerRm } from "./files.js";
import { registerHashPassword } from "./hash-password.js";
import { registerLs, registerStat } from "./ls.js";
import { registerMirror } from "./mirror.js";
import { extendServe } from "./serve-options.js";
import { registerShell } from "./shell.js";
import { registerCat, registerGet, registerPut } from "./transfer.js";

export function registerCommands(program: Command, io: CliIo): void {
  program
    .option("-v, --verbose", "show the FTP control connection (commands and replies; passwords masked)")
    .option("-q, --quiet", "no progress bars, summaries or session log")
    .option("--debug", "show stack traces for errors")
    .configureHelp({ showGlobalOptions: true });
  // Commands made before this point (serve, dev) show the global flags in their help too.
  for (const command of program.commands) command.configureHelp({ showGlobalOptions: true });
  const serve = program.commands.find((c) => c.name() === "serve");
  if (serve !== undefined) extendServe(serve);
  // `dev` is declared in cli.ts by its owner; its example is added here so every command has one.
  program.commands
    .find((c) => c.name() === "dev")
    ?.addHelpText(
      "after",
      examples("pnpm dev                     # from a clone of the repository", "ftpkit dev ./playground --port 2121"),
    );
  registerLs(program, io);
  registerGet(program, io);
  registerPut(program, io);
  registerCat(program, io);
  registerCp(program, io);
  registerRm(program, io);
  registerMv(program, io);
  registerMkdir(program, io);
  registerMirror(program, io);
  registerStat(program, io);
  registerShell(program, io);
  registerHashPassword(program, io);
}
