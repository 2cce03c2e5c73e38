/**
 * The FTP servers the process tests run `ftpkit` against: @ftpkit/server (in this process,
 * serving a temp directory) and vsftpd (Debian's, started by the interop harness as a
 * process with a throwaway login and its own root).
 */
import { chown, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type RunningPeer, startPeer } from "@ftpkit/interop/src/peers.js";
import { FtpServer, hashPassword } from "@ftpkit/server";

export interface Target {
  readonly name: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The FTP "/" on disk. */
  readonly root: string;
  /** Owner to give fixtures (vsftpd runs sessions as its own user); undefined for @ftpkit/server. */
  readonly owner: { uid: number; gid: number } | undefined;
  stop(): Promise<void>;
}

export async function ftpkitServer(): Promise<Target> {
  const root = await mkdtemp(join(tmpdir(), "ftpkit-cli-root-"));
  const password = "s3cret pass";
  const server = new FtpServer({
    host: "127.0.0.1",
    port: 0,
    root,
    users: { tester: await hashPassword(password) },
    limits: { failedLoginDelay: 50 },
  });
  const { port } = await server.listen();
  return {
    name: "@ftpkit/server",
    port,
    user: "tester",
    password,
    root,
    owner: undefined,
    stop: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export async function vsftpd(): Promise<Target> {
  const peer: RunningPeer = await startPeer("vsftpd");
  return {
    name: "vsftpd",
    port: peer.port,
    user: peer.user,
    password: peer.password,
    root: peer.root,
    owner: peer.owner,
    stop: () => peer.stop(),
  };
}

export const TARGETS: readonly [string, () => Promise<Target>][] = [
  ["@ftpkit/server", ftpkitServer],
  ["vsftpd", vsftpd],
];

/** Writes a fixture on the target's disk, owned by the server's session user. */
export async function writeFixture(t: Target, rel: string, data: string | Uint8Array): Promise<void> {
  const file = join(t.root, rel);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, data);
  if (t.owner !== undefined) {
    for (let p = file; p.startsWith(t.root) && p !== t.root; p = dirname(p)) await chown(p, t.owner.uid, t.owner.gid);
  }
}

/** `ftp://user:password@127.0.0.1:port/path`. */
export function targetUrl(t: Target, path = ""): string {
  return `ftp://${encodeURIComponent(t.user)}:${encodeURIComponent(t.password)}@127.0.0.1:${t.port}/${path}`;
}
