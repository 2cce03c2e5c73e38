#!/usr/bin/env node
import { main } from "./cli.js";

/** Standard input up to its first line end (or its end), so that a terminal needs no Ctrl-D. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if ((chunk as Buffer).includes(0x0a)) break;
  }
  process.stdin.destroy();
  return Buffer.concat(chunks).toString("utf8");
}

process.exitCode = await main(process.argv, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  readStdin,
  env: process.env,
});
