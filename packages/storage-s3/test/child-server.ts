/**
 * Runs fixtures/s3-child-server.ts (FtpServer on S3FileSystem) in a child process and reads
 * that process's resident memory from /proc, as the server's own child-process tests do
 * (packages/server/src/__tests__/child-process.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, "..");

/**
 * Bundles the fixture with the package sources, @ftpkit/server's sources (through the
 * `@ftpkit/source` condition) and the AWS SDK into one ESM file that plain `node` runs: no
 * build of the workspace and no TypeScript loader. @returns The bundle's directory and file.
 */
async function bundle(): Promise<{ dir: string; file: string }> {
  const { build } = await import("vite");
  const dir = await mkdtemp(join(tmpdir(), "ftpkit-s3-child-"));
  const conditions = ["@ftpkit/source", "node", "import", "default"];
  await build({
    configFile: false,
    logLevel: "silent",
    root: packageRoot,
    resolve: { conditions },
    ssr: { noExternal: true, resolve: { conditions, externalConditions: conditions } },
    build: {
      ssr: join(here, "fixtures", "s3-child-server.ts"),
      outDir: dir,
      emptyOutDir: true,
      minify: false,
      target: "node20",
      rollupOptions: { output: { entryFileNames: "s3-child-server.mjs", format: "es" } },
    },
  });
  return { dir, file: join(dir, "s3-child-server.mjs") };
}

/** What the child serves: the store and where in it. */
export interface ChildS3Config {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket: string;
  readonly prefix: string;
}

/** VmRSS of a process, in bytes (from /proc/PID/status). */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** FtpServer on S3FileSystem in a child process; user "alice", password "secret". */
export class S3ChildServer {
  port = 0;
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly messages: Record<string, unknown>[] = [];
  private readonly waiters: ((message: Record<string, unknown>) => void)[] = [];

  private constructor(
    readonly child: ChildProcess,
    private readonly bundleDir: string,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    child.stderr?.on("data", (data: Buffer) => {
      this.stderr += data.toString();
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
      else this.messages.push(message);
    });
  }

  static async start(config: ChildS3Config): Promise<S3ChildServer> {
    const { dir, file } = await bundle();
    const child = spawn(process.execPath, [file, JSON.stringify(config)], { stdio: ["pipe", "pipe", "pipe"] });
    const server = new S3ChildServer(child, dir);
    try {
      const listening = await server.next();
      if (listening["type"] !== "listening") throw new Error(`child said ${JSON.stringify(listening)}`);
      server.port = listening["port"] as number;
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error("the child server did not start");
    return this.child.pid;
  }

  /** The next message from the child. */
  next(timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const queued = this.messages.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the child server said nothing in ${timeoutMs} ms: ${this.stderr}`)),
        timeoutMs,
      );
      this.waiters.push((message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  }

  /** Asks the child to start sampling its own `process.memoryUsage()` (every 100 ms); @returns The first sample. */
  async startMemorySampling(): Promise<NodeJS.MemoryUsage> {
    this.child.stdin?.write(`${JSON.stringify({ type: "memory-start" })}\n`);
    return (await this.next())["usage"] as NodeJS.MemoryUsage;
  }

  /** Stops the sampling; @returns The sample with the largest RSS. */
  async stopMemorySampling(): Promise<NodeJS.MemoryUsage> {
    this.child.stdin?.write(`${JSON.stringify({ type: "memory-stop" })}\n`);
    return (await this.next())["peak"] as NodeJS.MemoryUsage;
  }

  /** Asks the child to close its server; resolves to the internal errors it saw. */
  async close(): Promise<string[]> {
    this.child.stdin?.write(`${JSON.stringify({ type: "close" })}\n`);
    const closed = await this.next();
    return closed["errors"] as string[];
  }

  /** Kills the child (SIGKILL, by its PID) if it still runs, and removes the bundle. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
    await rm(this.bundleDir, { recursive: true, force: true });
  }
}
