/** The server subjects: ftpkit, and the peers it is compared with. */
import { SERVER_PACKAGE } from "../../subjects/packages.js";
import { packageVersion } from "../../util/misc.js";
import type { ServerRunner } from "../types.js";
import { interopServer } from "./interop-peer.js";
import { startNodeServer, subjectScript } from "./node-child.js";

async function ftpkitServerUnavailable(): Promise<string | undefined> {
  try {
    const mod = (await import(SERVER_PACKAGE)) as Record<string, unknown>;
    if (typeof mod["FtpServer"] !== "function" || typeof mod["LocalFileSystem"] !== "function")
      return "waiting for @ftpkit/server to export FtpServer and LocalFileSystem";
    return undefined;
  } catch (e) {
    return `@ftpkit/server cannot be loaded (run \`turbo run build\`): ${(e as Error).message.split("\n")[0]}`;
  }
}

export const ftpkitServer: ServerRunner = {
  name: "ftpkit",
  label: "ftpkit server (Node)",
  ftpkit: true,
  unavailable: ftpkitServerUnavailable,
  start: (ctx) => startNodeServer("ftpkit", subjectScript("ftpkit-server"), ctx, { mlsd: true }),
};

export const ftpSrv: ServerRunner = {
  name: "ftp-srv",
  label: "ftp-srv (Node)",
  ftpkit: false,
  async unavailable() {
    return packageVersion("ftp-srv") ? undefined : "ftp-srv is not installed (pnpm install)";
  },
  start: (ctx) => startNodeServer("ftp-srv", subjectScript("ftp-srv-server"), ctx, { mlsd: false }),
};

export const SERVERS: readonly ServerRunner[] = [
  ftpkitServer,
  interopServer("vsftpd", "vsftpd (C)"),
  interopServer("pyftpdlib", "pyftpdlib (Python)"),
  ftpSrv,
];
