/**
 * A pseudo-terminal for tests: a detached tmux session (Debian's `tmux`) on a private server
 * socket, so nothing touches the user's own tmux. Keys go in with `send-keys`; the screen is
 * read with `capture-pane`.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";

const run = promisify(execFile);
export const TMUX = "/usr/bin/tmux";

/** `s` as one sh word. */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export class Tmux {
  private constructor(
    private readonly socket: string,
    private readonly session: string,
  ) {}

  /** Starts `command` (a shell command line) in a new 200x50 terminal. */
  static async start(command: string, env: Record<string, string>): Promise<Tmux> {
    const socket = `ftpkit-test-${process.pid}-${randomBytes(4).toString("hex")}`;
    const session = "t";
    await run(
      TMUX,
      ["-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", session, "-x", "200", "-y", "50", command],
      {
        env: { ...env, TERM: "xterm-256color" },
      },
    );
    return new Tmux(socket, session);
  }

  /** Types `text` literally. */
  async type(text: string): Promise<void> {
    await run(TMUX, ["-L", this.socket, "send-keys", "-t", this.session, "-l", text]);
  }

  /** Presses keys by name: Enter, Tab, C-c, ... */
  async press(...keys: string[]): Promise<void> {
    await run(TMUX, ["-L", this.socket, "send-keys", "-t", this.session, ...keys]);
  }

  /** The screen and its scrollback, as text. */
  async screen(): Promise<string> {
    const { stdout } = await run(TMUX, [
      "-L",
      this.socket,
      "capture-pane",
      "-p",
      "-J",
      "-t",
      this.session,
      "-S",
      "-1000",
    ]);
    return stdout;
  }

  /** Waits until the screen matches `re`; returns the screen. */
  async waitFor(re: RegExp, ms = 15_000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const text = await this.screen().catch(() => "");
      if (re.test(text)) return text;
      if (Date.now() > end) throw new Error(`screen never matched ${re}:\n${text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops this tmux server (and whatever still runs in it). */
  async kill(): Promise<void> {
    await run(TMUX, ["-L", this.socket, "kill-server"]).catch(() => {});
  }
}
