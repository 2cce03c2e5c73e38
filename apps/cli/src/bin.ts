#!/usr/bin/env node
import { main } from "./cli.js";
import { EXIT } from "./exit-codes.js";

let stopRequested: Promise<void> | undefined;

/**
 * The first SIGINT/SIGTERM asks the running command to stop (serve: gracefully; a transfer:
 * ABOR, then exit 130); a second one exits at once.
 */
function untilStopped(): Promise<void> {
  stopRequested ??= new Promise((resolve) => {
    let asked = false;
    const onSignal = () => {
      if (asked) process.exit(EXIT.interrupted);
      asked = true;
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  return stopRequested;
}

// A reader that goes away (`ftpkit cat URL | head`) is not an error worth a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
});

const code = await main(process.argv, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  untilStopped,
  stdout: process.stdout,
  stdin: process.stdin,
  stderr: process.stderr,
  env: process.env,
});
process.exitCode = code;
// Every handle is closed by now, so the process ends by itself; should anything still hold
// it (a bug), do not leave the user waiting after the command finished.
setTimeout(() => process.exit(code), 2000).unref();
