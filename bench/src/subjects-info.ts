/** Versions of the client programs and libraries, for the report. */
import { createRequire } from "node:module";
import { CLIENT_PACKAGE } from "./subjects/packages.js";
import { commandOutput, packageVersion } from "./util/misc.js";

export async function clientVersions(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const curl = await commandOutput("/usr/bin/curl", ["--version"]);
  if (curl) out["curl"] = curl.split("\n")[0]!;
  const lftp = await commandOutput("/usr/bin/lftp", ["--version"]);
  if (lftp) out["lftp"] = lftp.split("\n")[0]!.replace(/\s+/g, " ");
  const py = await commandOutput("/usr/bin/python3", ["--version"]);
  if (py) out["ftplib"] = `ftplib of ${py} (/usr/bin/python3)`;
  out["basic-ftp"] = `basic-ftp ${packageVersion("basic-ftp") ?? "?"} (npm), in a worker process`;
  let ftpkit = "?";
  try {
    ftpkit = (createRequire(import.meta.url)(`${CLIENT_PACKAGE}/package.json`) as { version: string }).version;
  } catch {}
  out["ftpkit client"] = `@ftpkit/client ${ftpkit} (built dist), in a worker process`;
  out["load driver"] = "raw FTP sessions written for the bench (Node, no library), in a worker process";
  return out;
}
