/**
 * `ftpkit hash-password`: prints a scrypt hash (`scrypt$N$r$p$salt$hash`) for a users file
 * (`ftpkit serve --users FILE`). The password is read from standard input (its first line)
 * or, on a terminal, prompted for twice without echo; it never appears on the command line.
 */
import { hashPassword } from "@ftpkit/server";
import type { Command } from "commander";
import { runContext } from "../context.js";
import { CliUsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { readFirstLine, readSecret } from "../prompt.js";
import { examples } from "./common.js";

export function registerHashPassword(program: Command, io: CliIo): void {
  program
    .command("hash-password")
    .description("print a password hash for a users file (ftpkit serve --users FILE)")
    .addHelpText(
      "after",
      `${examples("ftpkit hash-password              # prompts twice, no echo", "printf '%s' \"$PASSWORD\" | ftpkit hash-password")}

A users file (JSON or YAML) maps user names to hashes, or to entries:
  alice: "scrypt$32768$8$1$..."
  bob: { password: "scrypt$...", permissions: read-only }`,
    )
    .action(async (_flags: unknown, command: Command) => {
      runContext(io, command);
      const stdin = io.stdin;
      if (stdin === undefined) throw new CliUsageError("no standard input to read the password from");
      let password: string;
      if (stdin.isTTY === true && io.stderr !== undefined) {
        password = await readSecret(stdin, io.stderr, "Password: ");
        const again = await readSecret(stdin, io.stderr, "Again: ");
        if (again !== password) throw new CliUsageError("the passwords do not match");
      } else {
        password = await readFirstLine(stdin);
      }
      if (password === "") throw new CliUsageError("the password is empty");
      io.out(await hashPassword(password));
    });
}
