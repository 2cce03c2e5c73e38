/**
 * Reading a secret from the terminal without echo (raw mode: each key is handled here, so
 * nothing is printed but the prompt), or, when standard input is not a terminal, its first
 * line (`echo -n secret | ftpkit hash-password`).
 */
import { InterruptedError } from "./errors.js";
import type { TerminalReadable, TerminalWritable } from "./io.js";

/** Reads the first line of a non-terminal input (or all of it, without a trailing newline). */
export async function readFirstLine(input: TerminalReadable): Promise<string> {
  let text = "";
  for await (const chunk of input) {
    text += typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
    const newline = text.indexOf("\n");
    if (newline !== -1) {
      text = text.slice(0, newline);
      break;
    }
  }
  return text.replace(/\r$/, "");
}

/**
 * Prompts on `output` and reads a line from the terminal `input` without echoing it.
 * Backspace deletes, Ctrl-U clears, Enter ends, Ctrl-C and Ctrl-D (on an empty line) abort.
 * @throws InterruptedError on Ctrl-C; Error when input ends first.
 */
export function readSecret(input: TerminalReadable, output: TerminalWritable, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(prompt);
    const wasRaw = (input as { isRaw?: boolean }).isRaw === true;
    input.setRawMode?.(true);
    input.resume();
    let secret = "";
    const finish = (error: Error | undefined) => {
      input.off("data", onData);
      input.off("end", onEnd);
      input.setRawMode?.(wasRaw);
      input.pause();
      output.write("\n");
      if (error === undefined) resolve(secret);
      else reject(error);
    };
    const onEnd = () => finish(new Error("input ended before a line was read"));
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === "string" ? chunk : chunk.toString("utf8")) {
        switch (ch) {
          case "\r":
          case "\n":
            finish(undefined);
            return;
          case "\u0003": // Ctrl-C
            finish(new InterruptedError());
            return;
          case "\u0004": // Ctrl-D
            if (secret === "") {
              finish(new Error("input ended before a line was read"));
              return;
            }
            break;
          case "\u007f":
          case "\b":
            secret = [...secret].slice(0, -1).join("");
            break;
          case "\u0015": // Ctrl-U
            secret = "";
            break;
          default:
            if (ch >= " ") secret += ch;
        }
      }
    };
    input.on("data", onData);
    input.on("end", onEnd);
  });
}
