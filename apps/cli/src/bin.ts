#!/usr/bin/env node
import { main } from "./cli.js";

/** The first SIGINT/SIGTERM stops gracefully; a second one exits at once. */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    let asked = false;
    const onSignal = () => {
      if (asked) process.exit(130);
      asked = true;
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

const code = await main(process.argv, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  untilStopped,
});
process.exitCode = code;
// The server closed every handle, so the process ends by itself; should anything still hold
// it (a bug), do not leave the user waiting after "Stopped.".
setTimeout(() => process.exit(code), 2000).unref();
