import { mkdir, readdir, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { type RunningServe, serve, UsageError } from "./serve.js";

/** The web demo's port when none is given (FTP on 2121, the web on 2180). */
export const DEFAULT_WEB_PORT = 2180;

export interface DevOptions {
  /** The FTP root (default `./ftpkit-dev`, created when missing). */
  readonly dir?: string;
  readonly host: string;
  readonly port: number;
  /**
   * The web demo's port on 127.0.0.1 (0 picks a free one; default {@link DEFAULT_WEB_PORT});
   * `false`: no web demo.
   */
  readonly webPort?: number | false;
  /** More `host:port` (or `host:*`) servers the web demo may connect to, besides the bundled one. */
  readonly webAllow?: readonly string[];
  /**
   * FTPS required, with a self-signed certificate generated at start (local development
   * only); the web demo connects with explicit TLS and trusts exactly that certificate.
   */
  readonly tls?: boolean;
}

/** The web demo next to the bundled server. */
export interface RunningWebDemo {
  /** `http://127.0.0.1:PORT/`: the connect form is filled in for the bundled server. */
  readonly url: string;
  /** The `host:port` pairs its gateway may connect to. */
  readonly allowed: readonly string[];
}

export interface RunningDev extends RunningServe {
  /** Undefined when the web demo was turned off or is not installed (see {@link webUnavailable}). */
  readonly web: RunningWebDemo | undefined;
  /** Why there is no web demo, in words, when it was wanted. */
  readonly webUnavailable: string | undefined;
}

const WELCOME = `Welcome to ftpkit.

This folder is the root of the development FTP server started by \`ftpkit dev\`.
Upload, download, rename and delete freely: it is yours.
`;

/**
 * What `ftpkit dev` uses of @ftpkit/web-demo (its package entry, `startDemoGateway`).
 * Typed here rather than imported: the web demo is a private workspace package, a
 * devDependency of this one, so the published `ftpkit` runs without it (see {@link loadWebDemo}).
 */
interface WebDemoModule {
  startDemoGateway(options: {
    host?: string;
    port?: number;
    preset?: { host: string; port: number; user: string; password?: string; secure?: boolean; label?: string };
    allow?: readonly string[];
    secureOptions?: { ca: string };
  }): Promise<{ url: string; allowed: readonly string[]; close(): Promise<void> }>;
}

const WEB_DEMO = "@ftpkit/web-demo";

/**
 * Loads the web demo when it is installed (in the ftpkit repository: always; from the npm
 * registry: never, it is not published), or says why not.
 */
export async function loadWebDemo(specifier = WEB_DEMO): Promise<WebDemoModule | string> {
  try {
    const module = (await import(/* @vite-ignore */ specifier)) as Partial<WebDemoModule>;
    if (typeof module.startDemoGateway !== "function") return `${specifier} has no startDemoGateway`;
    return module as WebDemoModule;
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (
      e.code === "ERR_MODULE_NOT_FOUND" ||
      /Cannot find (package|module)|Failed to (load|resolve)/.test(e.message ?? "")
    ) {
      return `${specifier} is not installed (it lives in the ftpkit repository: run \`pnpm dev\` there)`;
    }
    throw error;
  }
}

/** The address the gateway dials for the bundled server (a wildcard listen address is not one). */
function dialHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "::1";
  return host;
}

/**
 * `ftpkit dev`: everything for local development in one command: the bundled server on a
 * local folder (created and seeded with a welcome file the first time) with a throwaway
 * account whose credentials are printed, and the web demo (a file manager with a protocol
 * inspector, on 127.0.0.1) whose gateway may connect to that server only.
 * @throws when a port is taken (nothing is left running then).
 */
export async function dev(options: DevOptions): Promise<RunningDev> {
  const root = resolve(options.dir ?? "ftpkit-dev");
  await mkdir(root, { recursive: true });
  if ((await readdir(root)).length === 0) await writeFile(resolve(root, "welcome.txt"), WELCOME);
  const running = await serve(root, {
    host: options.host,
    port: options.port,
    user: "dev",
    ...(options.tls === true ? { tls: { selfSigned: true } } : {}),
  });
  const webPort = options.webPort ?? DEFAULT_WEB_PORT;
  if (webPort === false) return { ...running, web: undefined, webUnavailable: undefined };

  let webDemo: WebDemoModule | string;
  try {
    webDemo = await loadWebDemo();
  } catch (error) {
    await running.stop(0);
    throw error;
  }
  if (typeof webDemo === "string") return { ...running, web: undefined, webUnavailable: webDemo };

  const host = dialHost(options.host);
  const port = running.server.address()?.port ?? portOf(running.url);
  const bundled = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const certificate = running.server.certificate;
  let gateway: Awaited<ReturnType<WebDemoModule["startDemoGateway"]>>;
  try {
    gateway = await webDemo.startDemoGateway({
      host: "127.0.0.1",
      port: webPort,
      preset: {
        host,
        port,
        user: running.user,
        password: running.password,
        ...(certificate === undefined ? {} : { secure: true }),
        label: "the bundled server of ftpkit dev",
      },
      allow: [bundled, ...(options.webAllow ?? [])],
      // The self-signed certificate is trusted by name, not by turning verification off.
      ...(certificate === undefined ? {} : { secureOptions: { ca: certificate.pem } }),
    });
  } catch (error) {
    await running.stop(0);
    if (error instanceof TypeError) throw new UsageError(`--web-allow: ${error.message}`);
    if ((error as { code?: string }).code === "EADDRINUSE") {
      throw new Error(
        `the web demo's port ${webPort} is in use: pick another with --web-port (0 = any free port), or use --no-web`,
        { cause: error },
      );
    }
    throw error;
  }
  return {
    ...running,
    web: { url: gateway.url, allowed: gateway.allowed },
    webUnavailable: undefined,
    async stop(deadline?: number) {
      // The gateway first: its sessions QUIT while the server still answers.
      await gateway.close();
      await running.stop(deadline);
    },
  };
}

function portOf(url: string): number {
  return Number(/:(\d+)\/$/.exec(url)?.[1] ?? 0);
}
