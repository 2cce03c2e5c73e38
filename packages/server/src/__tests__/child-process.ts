import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, "..", "..");
let bundled: Promise<string> | undefined;

/**
 * Bundles fixtures/child-server.ts (and the package sources it imports, through the
 * `@ftpkit/source` condition) into one ESM file that plain `node` runs: no build of the
 * workspace and no TypeScript loader needed. Done once per test file, in half a second.
 */
export function bundleChildServer(): Promise<string> {
  bundled ??= (async () => {
    const { build } = await import("vite");
    const outDir = await mkdtemp(join(tmpdir(), "ftpkit-child-"));
    const conditions = ["@ftpkit/source", "node", "import", "default"];
    await build({
      configFile: false,
      logLevel: "silent",
      root: packageRoot,
      resolve: { conditions },
      ssr: { noExternal: true, resolve: { conditions, externalConditions: conditions } },
      build: {
        ssr: join(here, "fixtures", "child-server.ts"),
        outDir,
        emptyOutDir: true,
        minify: false,
        target: "node20",
        rollupOptions: { output: { entryFileNames: "child-server.mjs", format: "es" } },
      },
    });
    return join(outDir, "child-server.mjs");
  })();
  return bundled;
}

export interface ChildMessage {
  readonly type: string;
  readonly port?: number;
  readonly rss?: number;
  readonly maxRss?: number;
  /** process.memoryUsage() when the RSS peaked. */
  readonly peak?: NodeJS.MemoryUsage;
  readonly connections?: number;
  /** `stats`: open descriptors, heap after a full GC, passive listeners, refusals, bans, errors. */
  readonly fds?: number;
  readonly heapUsed?: number;
  readonly external?: number;
  readonly arrayBuffers?: number;
  readonly passive?: number;
  readonly refusals?: Record<string, number>;
  readonly bans?: number;
  readonly errors?: string[];
}

/** What the child server is started with (see fixtures/child-server.ts). */
export interface ChildConfig {
  readonly root?: string;
  readonly files?: Record<string, string>;
  readonly uploadMode?: "standard" | "atomic" | "atomic-resume";
  readonly limits?: Record<string, number>;
  readonly defender?: Record<string, unknown> | false;
}

/** A server running in a child process (see fixtures/child-server.ts). */
export class ChildServer {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  port = 0;
  private readonly messages: ChildMessage[] = [];
  private readonly waiters: ((m: ChildMessage) => void)[] = [];
  stderr = "";

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    child.stderr?.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const message = JSON.parse(line) as ChildMessage;
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
      else this.messages.push(message);
    });
  }

  static async start(config: ChildConfig = {}): Promise<ChildServer> {
    const script = await bundleChildServer();
    const child = spawn(process.execPath, ["--expose-gc", script, JSON.stringify(config)], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const server = new ChildServer(child);
    const listening = await server.next();
    server.port = listening.port ?? 0;
    return server;
  }

  /** The next message from the child. */
  next(timeoutMs = 30_000): Promise<ChildMessage> {
    const queued = this.messages.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`child said nothing in ${timeoutMs} ms: ${this.stderr}`)),
        timeoutMs,
      );
      this.waiters.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  async request(command: object): Promise<ChildMessage> {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
    return this.next();
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }

  /** The child's stats after a full GC (descriptors, heap, connections, errors). */
  async stats(): Promise<ChildMessage> {
    return this.request({ type: "stats" });
  }
}
