import { mkdir, readdir, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type RunningServe, serve } from "./serve.js";

export interface DevOptions {
  /** The FTP root (default `./ftpkit-dev`, created when missing). */
  readonly dir?: string;
  readonly host: string;
  readonly port: number;
}

const WELCOME = `Welcome to ftpkit.

This folder is the root of the development FTP server started by \`ftpkit dev\`.
Upload, download, rename and delete freely: it is yours.
`;

/**
 * `ftpkit dev`: everything for local development in one command: the bundled server on a
 * local folder (created and seeded with a welcome file the first time) with a throwaway
 * account whose credentials are printed.
 */
export async function dev(options: DevOptions): Promise<RunningServe> {
  const root = resolve(options.dir ?? "ftpkit-dev");
  await mkdir(root, { recursive: true });
  if ((await readdir(root)).length === 0) await writeFile(resolve(root, "welcome.txt"), WELCOME);
  return serve(root, { host: options.host, port: options.port, user: "dev" });
}
