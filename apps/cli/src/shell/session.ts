/**
 * The state and commands of `ftpkit shell`: one connection (a `Client`), the remote and local
 * directories, the transfer type and mode, and a cache of remote listings for TAB completion
 * (kept for a minute, dropped by any command that changes the server's files).
 */
import { readdir, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join, posix, resolve } from "node:path";
import type { Client, FileInfo } from "@ftpkit/client";
import { closeQuietly, remote } from "../commands/common.js";
import { downloadToFile, uploadFile } from "../commands/transfer-core.js";
import {
  type ConnectionFlags,
  connect,
  origin,
  type PasswordPrompt,
  resolveLogin,
  showTranscript,
} from "../connect.js";
import type { RunContext } from "../context.js";
import { CliError, CliUsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { formatLong, sortByName, transferSummary } from "../format.js";
import { type FtpUrl, isUrl, parseFtpUrl, remoteBasename } from "../url.js";
import { hasGlob, matchNames } from "./glob.js";
import { escapeWord, splitLine } from "./words.js";

/** What the shell asks the user through its line editor. */
export interface ShellPrompts {
  /** A line, echoed (the user name). */
  readonly line: (prompt: string) => Promise<string>;
  /** A password, not echoed. */
  readonly password: PasswordPrompt;
}

type ArgKind = "remote" | "local" | "command" | "none";

interface ShellCommand {
  readonly usage: string;
  readonly help: string;
  /** What each argument is, for completion; the last kind repeats. */
  readonly args: readonly ArgKind[];
  readonly needsConnection: boolean;
  /** Resolves with {@link QUIT} to end the session. */
  readonly run: (session: ShellSession, args: string[], ctx: RunContext) => Promise<unknown>;
}

/** What `bye` resolves with. */
export const QUIT = Symbol("quit");

const CACHE_MS = 60_000;
/** Other names of commands, left out of `help`'s list (each command's help names them). */
const ALIASES = new Set(["?", "quit", "exit", "disconnect"]);

const usage = (command: string): never => {
  throw new CliUsageError(`usage: ${COMMANDS[command]?.usage ?? command}`);
};

/** Every command, by name (aliases share the entry). */
export const COMMANDS: Readonly<Record<string, ShellCommand>> = (() => {
  const bye: ShellCommand = {
    usage: "bye",
    help: "close the connection and leave (also quit, exit)",
    args: ["none"],
    needsConnection: false,
    run: async (s) => {
      await s.disconnect();
      return QUIT;
    },
  };
  const ls = (long: boolean): ShellCommand => ({
    usage: `${long ? "dir" : "ls"} [remote-path]`,
    help: long ? "list a remote directory, long format" : "list the names in a remote directory",
    args: ["remote"],
    needsConnection: true,
    run: (s, args, ctx) => s.list(args[0], long, ctx),
  });
  const table: Record<string, ShellCommand> = {
    open: {
      usage: "open URL | open host [port]",
      help: "connect to a server (ftp://user@host:port/path, ftps:// for implicit TLS)",
      args: ["none"],
      needsConnection: false,
      run: async (s, args, ctx) => {
        if (args.length === 0 || args.length > 2) usage("open");
        await s.open(args[0] as string, args[1], ctx);
      },
    },
    user: {
      usage: "user name [password]",
      help: "log in again as another user",
      args: ["none"],
      needsConnection: true,
      run: async (s, args, ctx) => {
        if (args.length === 0 || args.length > 2) usage("user");
        await s.relogin(args[0] as string, args[1], ctx);
      },
    },
    close: {
      usage: "close",
      help: "close the connection, stay in the shell (also disconnect)",
      args: ["none"],
      needsConnection: false,
      run: async (s) => {
        await s.disconnect();
      },
    },
    ls: ls(false),
    dir: ls(true),
    cd: {
      usage: "cd remote-directory",
      help: "change the remote directory",
      args: ["remote"],
      needsConnection: true,
      run: async (s, args, ctx) => {
        if (args.length !== 1) usage("cd");
        await s.cd(args[0] as string, ctx);
      },
    },
    cdup: {
      usage: "cdup",
      help: "change to the parent remote directory",
      args: ["none"],
      needsConnection: true,
      run: (s, _args, ctx) => s.cd("..", ctx),
    },
    pwd: {
      usage: "pwd",
      help: "print the remote directory",
      args: ["none"],
      needsConnection: true,
      run: async (s, _args, ctx) => {
        ctx.io.out(`Remote directory: ${await s.pwd(ctx)}`);
      },
    },
    lcd: {
      usage: "lcd [local-directory]",
      help: "change the local directory (default: your home)",
      args: ["local"],
      needsConnection: false,
      run: async (s, args, ctx) => {
        await s.lcd(args[0], ctx);
      },
    },
    lpwd: {
      usage: "lpwd",
      help: "print the local directory",
      args: ["none"],
      needsConnection: false,
      run: async (s, _args, ctx) => {
        ctx.io.out(`Local directory: ${s.localDir}`);
      },
    },
    get: {
      usage: "get remote-file [local-file]",
      help: "download a file (to local-file.part, renamed when complete)",
      args: ["remote", "local"],
      needsConnection: true,
      run: async (s, args, ctx) => {
        if (args.length === 0 || args.length > 2) usage("get");
        await s.get(args[0] as string, args[1], ctx);
      },
    },
    put: {
      usage: "put local-file [remote-file]",
      help: "upload a file",
      args: ["local", "remote"],
      needsConnection: true,
      run: async (s, args, ctx) => {
        if (args.length === 0 || args.length > 2) usage("put");
        await s.put(args[0] as string, args[1], ctx);
      },
    },
    mget: {
      usage: "mget remote-pattern...",
      help: "download the files matching glob patterns (*, ?, [a-z])",
      args: ["remote"],
      needsConnection: true,
      run: async (s, args, ctx) => {
        if (args.length === 0) usage("mget");
        await s.mget(args, ctx);
      },
    },
    mput: {
      usage: "mput local-pattern...",
      help: "upload the local files matching glob patterns (*, ?, [a-z])",
      args: ["local"],
      needsConnection: true,
      run: async (s, args, ctx) => {
        if (args.length === 0) usage("mput");
        await s.mput(args, ctx);
      },
    },
    mkdir: {
      usage: "mkdir remote-directory",
      help: "create a remote directory",
      args: ["remote"],
      needsConnection: true,
      run: async (s, args, ctx) => {
        if (args.length !== 1) usage("mkdir");
        await s.change(ctx, args[0] as string, (c) => c.mkdir(args[0] as string, { signal: ctx.signal }));
      },
    },
    rmdir: {
      usage: "rmdir remote-directory",
      help: "remove an empty remote directory",
      args: ["remote"],
      needsConnection: true,
      run: async (s, args, ctx) => {
        if (args.length !== 1) usage("rmdir");
        await s.change(ctx, args[0] as string, (c) => c.rmdir(args[0] as string, { signal: ctx.signal }));
      },
    },
    delete: {
      usage: "delete remote-file",
      help: "remove a remote file",
      args: ["remote"],
      needsConnection: true,
      run: async (s, args, ctx) => {
        if (args.length !== 1) usage("delete");
        await s.change(ctx, args[0] as string, (c) => c.remove(args[0] as string, { signal: ctx.signal }));
      },
    },
    rename: {
      usage: "rename from to",
      help: "rename or move a remote file or directory",
      args: ["remote"],
      needsConnection: true,
      run: async (s, args, ctx) => {
        if (args.length !== 2) usage("rename");
        await s.change(ctx, args[0] as string, (c) =>
          c.rename(args[0] as string, args[1] as string, { signal: ctx.signal }),
        );
      },
    },
    binary: {
      usage: "binary",
      help: "transfer files byte for byte (TYPE I, the default)",
      args: ["none"],
      needsConnection: false,
      run: async (s, _args, ctx) => {
        s.type = "binary";
        ctx.io.out("Transfer type: binary.");
      },
    },
    ascii: {
      usage: "ascii",
      help: "transfer text files with line-end conversion (TYPE A)",
      args: ["none"],
      needsConnection: false,
      run: async (s, _args, ctx) => {
        s.type = "ascii";
        ctx.io.out("Transfer type: ascii.");
      },
    },
    passive: {
      usage: "passive",
      help: "toggle passive mode (on: EPSV/PASV, the client connects; off: EPRT/PORT)",
      args: ["none"],
      needsConnection: false,
      run: (s, _args, ctx) => s.togglePassive(ctx),
    },
    verbose: {
      usage: "verbose",
      help: "toggle showing the FTP commands and replies",
      args: ["none"],
      needsConnection: false,
      run: async (s, _args, ctx) => {
        s.setVerbose(!s.verbose, ctx);
        ctx.io.out(`Verbose mode ${s.verbose ? "on" : "off"}.`);
      },
    },
    status: {
      usage: "status",
      help: "show the connection and settings",
      args: ["none"],
      needsConnection: false,
      run: (s, _args, ctx) => s.status(ctx),
    },
    help: {
      usage: "help [command]",
      help: "list the commands, or explain one (also ?)",
      args: ["command"],
      needsConnection: false,
      run: async (_s, args, ctx) => {
        const name = args[0];
        if (name !== undefined) {
          const command = COMMANDS[name];
          if (command === undefined) throw new CliUsageError(`unknown command ${name}: try help`);
          ctx.io.out(`${command.usage}: ${command.help}`);
          return;
        }
        const names = Object.keys(COMMANDS).filter((n) => !ALIASES.has(n));
        const width = Math.max(...names.map((n) => n.length));
        for (const n of names) ctx.io.out(`  ${n.padEnd(width)}  ${COMMANDS[n]?.help ?? ""}`);
      },
    },
    bye,
    quit: bye,
    exit: bye,
  };
  table["?"] = table["help"] as ShellCommand;
  table["disconnect"] = table["close"] as ShellCommand;
  return table;
})();

export class ShellSession {
  client: Client | undefined;
  /** The server (URL without password) while connected. */
  server: FtpUrl | undefined;
  user: string | undefined;
  /** The remote directory, as the server last said. */
  remoteDir = "/";
  localDir: string;
  type: "binary" | "ascii" = "binary";
  passive: boolean;
  verbose: boolean;
  private stopTranscript: (() => void) | undefined;
  private readonly listings = new Map<string, { at: number; entries: FileInfo[] }>();
  /** The URL with the password, to reconnect (passive toggle). Never printed. */
  private login: FtpUrl | undefined;

  constructor(
    base: RunContext,
    private readonly flags: ConnectionFlags,
    private readonly prompts: ShellPrompts,
    localDir: string,
  ) {
    this.localDir = localDir;
    this.passive = flags.active !== true;
    this.verbose = base.verbose;
    if (this.verbose) this.stopTranscript = showTranscript(base);
  }

  /** Runs one line. @returns true for bye/quit/exit. @throws CliError (printed by the caller). */
  async execute(line: string, ctx: RunContext): Promise<boolean> {
    const { words, openQuote } = splitLine(line.trim());
    if (openQuote !== undefined) throw new CliUsageError(`unterminated ${openQuote} quote`);
    const [name, ...args] = words;
    if (name === undefined) return false;
    const command = COMMANDS[name];
    if (command === undefined) throw new CliUsageError(`unknown command ${name}: try help`);
    if (command.needsConnection && this.client === undefined) throw new CliUsageError("not connected: use open URL");
    return (await command.run(this, args, ctx)) === QUIT;
  }

  // ---- connection -----------------------------------------------------------

  async open(target: string, port: string | undefined, ctx: RunContext): Promise<void> {
    let url: FtpUrl;
    if (isUrl(target)) {
      if (port !== undefined) usage("open");
      url = parseFtpUrl(target);
    } else {
      if (port !== undefined && !/^\d{1,5}$/.test(port)) throw new CliUsageError(`not a port: ${port}`);
      const host = target.includes(":") && !target.startsWith("[") ? `[${target}]` : target;
      url = parseFtpUrl(`ftp://${host}${port === undefined ? "" : `:${port}`}/`);
    }
    await this.disconnect();
    if (url.user === undefined && this.flags.user === undefined) {
      const name = (await this.prompts.line(`Name (${origin(url)}, empty for ~/.netrc or anonymous): `)).trim();
      if (name !== "") url = { ...url, user: name };
    }
    await this.connectAs(url, ctx);
  }

  async relogin(user: string, password: string | undefined, ctx: RunContext): Promise<void> {
    const server = this.server as FtpUrl;
    const dir = this.remoteDir;
    await this.disconnect();
    await this.connectAs({ ...server, user, password, path: dir }, ctx, { ignoreFlagUser: true });
  }

  private async connectAs(url: FtpUrl, ctx: RunContext, options: { ignoreFlagUser?: boolean } = {}): Promise<void> {
    const flags: ConnectionFlags = {
      ...this.flags,
      active: !this.passive,
      ...(options.ignoreFlagUser === true ? { user: undefined } : {}),
    };
    const login = await resolveLogin(url, flags, ctx, this.prompts.password);
    const withLogin: FtpUrl = { ...url, user: login.user, password: login.password };
    const client = await connect(ctx, withLogin, { ...flags, user: undefined });
    this.client = client;
    this.server = { ...url, password: undefined };
    this.login = withLogin;
    this.user = login.user;
    this.listings.clear();
    ctx.io.out(`Connected to ${origin(url)} as ${login.user}.`);
    if (url.path !== ".") await this.cd(url.path, ctx);
    else this.remoteDir = await client.pwd({ signal: ctx.signal });
  }

  async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.server = undefined;
    this.login = undefined;
    this.listings.clear();
    if (client !== undefined) await closeQuietly(client);
  }

  async togglePassive(ctx: RunContext): Promise<void> {
    this.passive = !this.passive;
    ctx.io.out(`Passive mode ${this.passive ? "on" : "off"}.`);
    const login = this.login;
    if (this.client === undefined || login === undefined) return;
    const dir = this.remoteDir;
    const client = this.client;
    this.client = undefined;
    await closeQuietly(client);
    const reopened = await connect(ctx, login, { ...this.flags, user: undefined, active: !this.passive });
    this.client = reopened;
    this.remoteDir = await reopened.cd(dir, { signal: ctx.signal });
  }

  setVerbose(on: boolean, ctx: RunContext): void {
    this.verbose = on;
    this.stopTranscript?.();
    this.stopTranscript = on ? showTranscript(ctx) : undefined;
  }

  async status(ctx: RunContext): Promise<void> {
    const out = ctx.io.out;
    if (this.server === undefined) out("Not connected.");
    else {
      const tls =
        this.server.scheme === "ftps"
          ? "implicit TLS"
          : this.server.scheme === "ftpes" || this.flags.tls === true
            ? "explicit TLS"
            : "no TLS";
      out(`Connected to ${origin(this.server)} as ${this.user ?? "?"} (${tls}).`);
      out(`Remote directory: ${this.remoteDir}`);
    }
    out(`Local directory: ${this.localDir}`);
    out(`Mode: ${this.passive ? "passive" : "active"}; type: ${this.type}; verbose: ${this.verbose ? "on" : "off"}.`);
  }

  /** Ends the session (closing the connection and the transcript). */
  async close(): Promise<void> {
    await this.disconnect();
    this.stopTranscript?.();
    this.stopTranscript = undefined;
  }

  // ---- remote directories -----------------------------------------------------

  private get connected(): Client {
    if (this.client === undefined) throw new CliUsageError("not connected: use open URL");
    return this.client;
  }

  /** An absolute remote path for `path` (relative to the remote directory). */
  absolute(path: string): string {
    return posix.resolve(this.remoteDir, path);
  }

  async pwd(ctx: RunContext): Promise<string> {
    this.remoteDir = await this.connected.pwd({ signal: ctx.signal });
    return this.remoteDir;
  }

  async cd(path: string, ctx: RunContext): Promise<void> {
    const client = this.connected;
    this.remoteDir = await remote(ctx, client, path, path, () => client.cd(path, { signal: ctx.signal }));
    ctx.io.out(`Remote directory: ${this.remoteDir}`);
  }

  async list(path: string | undefined, long: boolean, ctx: RunContext): Promise<void> {
    const client = this.connected;
    const target = path ?? ".";
    const entries = await remote(ctx, client, target, target, () => client.list(target, { signal: ctx.signal }));
    this.listings.set(this.absolute(target), { at: Date.now(), entries });
    const sorted = sortByName(entries);
    if (long) for (const line of formatLong(sorted, ctx.outStyle)) ctx.io.out(line);
    else for (const e of sorted) ctx.io.out(e.name);
  }

  /** A listing for completion and globs: from the cache when fresh. */
  async listCached(dir: string, signal?: AbortSignal): Promise<FileInfo[]> {
    const key = this.absolute(dir);
    const hit = this.listings.get(key);
    if (hit !== undefined && Date.now() - hit.at < CACHE_MS) return hit.entries;
    const entries = await this.connected.list(key, signal === undefined ? {} : { signal });
    this.listings.set(key, { at: Date.now(), entries });
    return entries;
  }

  /** Runs a command that changes the server's files, then forgets the cached listings. */
  async change(ctx: RunContext, path: string, call: (client: Client) => Promise<unknown>): Promise<void> {
    const client = this.connected;
    try {
      await remote(ctx, client, path, path, () => call(client));
    } finally {
      this.listings.clear();
    }
  }

  // ---- local directory --------------------------------------------------------

  localPath(path: string): string {
    return resolve(this.localDir, path);
  }

  async lcd(path: string | undefined, ctx: RunContext): Promise<void> {
    const target = path === undefined ? (ctx.env["HOME"] ?? homedir()) : this.localPath(path);
    const info = await stat(target).catch(() => undefined);
    if (info?.isDirectory() !== true) throw new CliUsageError(`local directory not found: ${target}`);
    this.localDir = target;
    ctx.io.out(`Local directory: ${target}`);
  }

  // ---- transfers --------------------------------------------------------------

  async get(remotePath: string, localArg: string | undefined, ctx: RunContext): Promise<void> {
    const client = this.connected;
    const name = remoteBasename(remotePath);
    if (name === "") throw new CliUsageError(`${remotePath} is a directory`);
    let local = this.localPath(localArg ?? name);
    if ((await stat(local).catch(() => undefined))?.isDirectory() === true) local = join(local, name);
    const result = await downloadToFile(ctx, client, remotePath, local, {
      type: this.type,
      label: name,
      what: remotePath,
    });
    ctx.io.out(transferSummary("received", `${remotePath} -> ${local}`, result.bytes, result.seconds));
  }

  async put(localArg: string, remoteArg: string | undefined, ctx: RunContext): Promise<void> {
    const client = this.connected;
    const local = this.localPath(localArg);
    const info = await stat(local).catch(() => undefined);
    if (info === undefined) throw new CliUsageError(`local file not found: ${local}`);
    if (!info.isFile()) throw new CliUsageError(`not a regular file: ${local}`);
    const target = remoteArg ?? basename(local);
    try {
      const result = await uploadFile(ctx, client, local, info.size, target, {
        type: this.type,
        label: basename(local),
        what: target,
      });
      ctx.io.out(transferSummary("sent", `${local} -> ${target}`, result.bytes, result.seconds));
    } finally {
      this.listings.clear();
    }
  }

  async mget(patterns: readonly string[], ctx: RunContext): Promise<void> {
    for (const pattern of patterns) {
      const dir = pattern.includes("/") ? pattern.slice(0, pattern.lastIndexOf("/") + 1) : "";
      const glob = pattern.slice(dir.length);
      if (!hasGlob(glob)) {
        await this.get(pattern, undefined, ctx);
        continue;
      }
      const entries = await remote(ctx, this.connected, dir || ".", dir || ".", () =>
        this.listCached(dir || ".", ctx.signal),
      );
      const files = entries.filter((e) => e.type === "file").map((e) => e.name);
      const matched = matchNames(files, glob);
      if (matched.length === 0) throw new CliError(EXIT.notFound, `${pattern}: no remote file matches`);
      for (const name of matched.sort()) await this.get(`${dir}${name}`, undefined, ctx);
    }
  }

  async mput(patterns: readonly string[], ctx: RunContext): Promise<void> {
    for (const pattern of patterns) {
      const dir = pattern.includes("/") ? pattern.slice(0, pattern.lastIndexOf("/") + 1) : "";
      const glob = pattern.slice(dir.length);
      if (!hasGlob(glob)) {
        await this.put(pattern, undefined, ctx);
        continue;
      }
      const names = await readdir(this.localPath(dir || "."), { withFileTypes: true }).catch(() => {
        throw new CliUsageError(`local directory not found: ${this.localPath(dir || ".")}`);
      });
      const files = names.filter((d) => d.isFile()).map((d) => d.name);
      const matched = matchNames(files, glob);
      if (matched.length === 0) throw new CliUsageError(`${pattern}: no local file matches`);
      for (const name of matched.sort()) await this.put(`${dir}${name}`, name, ctx);
    }
  }

  // ---- completion -------------------------------------------------------------

  /** readline's completer: the candidates and the text they complete. */
  async complete(line: string): Promise<[string[], string]> {
    const split = splitLine(line);
    const { words, partialRaw, partial, openQuote } = split;
    const argIndex = partialRaw === "" ? words.length : words.length - 1;
    if (argIndex === 0) {
      const names = Object.keys(COMMANDS).filter((n) => n.startsWith(partial));
      return [names.sort().map((n) => (names.length === 1 ? `${n} ` : n)), partialRaw];
    }
    const command = COMMANDS[words[0] as string];
    if (command === undefined) return [[], partialRaw];
    const kind = command.args[Math.min(argIndex - 1, command.args.length - 1)];
    if (kind === "command") {
      return [
        Object.keys(COMMANDS)
          .filter((n) => n.startsWith(partial))
          .sort(),
        partialRaw,
      ];
    }
    if (kind !== "remote" && kind !== "local") return [[], partialRaw];
    const slash = partial.lastIndexOf("/");
    const dirPart = partial.slice(0, slash + 1);
    const prefix = partial.slice(slash + 1);
    let candidates: { name: string; directory: boolean }[];
    try {
      if (kind === "remote") {
        if (this.client === undefined) return [[], partialRaw];
        const entries = await this.listCached(dirPart === "" ? "." : dirPart);
        candidates = entries.map((e) => ({ name: e.name, directory: e.type === "directory" }));
      } else {
        const entries = await readdir(this.localPath(dirPart === "" ? "." : dirPart), { withFileTypes: true });
        candidates = entries.map((d) => ({ name: d.name, directory: d.isDirectory() }));
      }
    } catch {
      return [[], partialRaw];
    }
    const matches = candidates
      .filter((c) => c.name.startsWith(prefix) && (prefix.startsWith(".") || !c.name.startsWith(".")))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const completions = matches.map((c) => {
      const rest = c.name.slice(prefix.length);
      const text = openQuote !== undefined ? rest : escapeWord(rest);
      return `${partialRaw}${text}${c.directory ? "/" : matches.length === 1 ? (openQuote ?? "") : ""}`;
    });
    return [completions, partialRaw];
  }
}
