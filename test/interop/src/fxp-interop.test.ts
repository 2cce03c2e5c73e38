/**
 * FXP between @ftpkit/server (on 127.0.0.2, an account with `fxp: true`) and pyftpdlib (on
 * 127.0.0.1, started with `permit_foreign_addresses`), driven by @ftpkit/client's
 * `transferTo`, in both directions and with either server listening. The two servers'
 * addresses differ, so each one's bounce-attack defence (RFC 2577) is really asked; with
 * pyftpdlib's defaults the transfer is refused, with its own replies.
 */
import { createHash, randomBytes } from "node:crypto";
import { chown, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client, type ConnectOptions, FtpFxpError } from "@ftpkit/client";
import { FtpServer, LocalFileSystem } from "@ftpkit/server";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { peerAvailable, type RunningPeer, startPeer, stopAllPeers } from "./peers.js";

const MiB = 1024 * 1024;
const big = randomBytes(6 * MiB + 777);
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

afterAll(() => stopAllPeers());

interface Ours {
  readonly server: FtpServer;
  readonly port: number;
  readonly root: string;
}

/** @ftpkit/server on 127.0.0.2 over a temp directory; `fxp` for its one account. */
async function ours(fxp: boolean): Promise<Ours> {
  const root = await mkdtemp(path.join(os.tmpdir(), "ftpkit-fxp-interop-"));
  const server = new FtpServer({
    host: "127.0.0.2",
    port: 0,
    authenticate: ({ user, password }) =>
      user === "alice" && password === "secret" ? { fs: new LocalFileSystem(root), fxp } : null,
    limits: { failedLoginDelay: 0 },
  });
  const { port } = await server.listen();
  return { server, port, root };
}

describe.skipIf(!peerAvailable("pyftpdlib"))("FXP between @ftpkit/server and pyftpdlib", () => {
  let peer: RunningPeer;
  let mine: Ours;
  const clients: Client[] = [];
  const connect = async (options: ConnectOptions) => {
    const client = await Client.connect({ timeout: 15_000, keepAlive: false, ...options });
    clients.push(client);
    return client;
  };
  const toPeer = () => connect({ host: peer.host, port: peer.port, user: peer.user, password: peer.password });
  const toOurs = () => connect({ host: "127.0.0.2", port: mine.port, user: "alice", password: "secret" });

  beforeAll(async () => {
    peer = await startPeer("pyftpdlib", { permitForeignAddresses: true });
    mine = await ours(true);
    const file = path.join(peer.root, "from-peer.bin");
    await writeFile(file, big);
    await chown(file, peer.owner.uid, peer.owner.gid);
    await writeFile(path.join(mine.root, "from-ours.bin"), big);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await mine?.server.close();
    await rm(mine?.root ?? "", { recursive: true, force: true });
  });

  test.each(["destination", "source"] as const)(
    "@ftpkit/server -> pyftpdlib, the %s listening: SHA-256 equal",
    async (passive) => {
      const source = await toOurs();
      const destination = await toPeer();
      const result = await source.transferTo("from-ours.bin", destination, `copy-${passive}.bin`, { passive });
      expect(result).toMatchObject({ bytes: big.length, passive, refused: [], commands: ["EPSV", "EPRT"] });
      expect(sha256(await readFile(path.join(peer.root, `copy-${passive}.bin`)))).toBe(sha256(big));
      // Both conversations are in step afterwards.
      expect(await destination.size(`copy-${passive}.bin`)).toBe(big.length);
      expect(await source.pwd()).toBe("/");
    },
  );

  test.each(["destination", "source"] as const)(
    "pyftpdlib -> @ftpkit/server, the %s listening: SHA-256 equal",
    async (passive) => {
      const source = await toPeer();
      const destination = await toOurs();
      const result = await source.transferTo("from-peer.bin", destination, `copy-${passive}.bin`, { passive });
      expect(result).toMatchObject({ bytes: big.length, passive, refused: [] });
      expect(sha256(await readFile(path.join(mine.root, `copy-${passive}.bin`)))).toBe(sha256(big));
      expect(await source.size("from-peer.bin")).toBe(big.length);
      expect(await destination.pwd()).toBe("/");
    },
  );

  test("resumes into pyftpdlib with REST on both servers", async () => {
    const offset = 3 * MiB + 5;
    const file = path.join(peer.root, "resumed.bin");
    await writeFile(file, big.subarray(0, offset));
    await chown(file, peer.owner.uid, peer.owner.gid);
    const source = await toOurs();
    const destination = await toPeer();
    const result = await source.transferTo("from-ours.bin", destination, "resumed.bin", { offset });
    expect(result.bytes).toBe(big.length - offset);
    expect(sha256(await readFile(file))).toBe(sha256(big));
  });

  test("pyftpdlib's defaults refuse both orders (501 to a foreign EPRT/PORT, 425 to a foreign data connection)", async () => {
    const strict = await startPeer("pyftpdlib");
    try {
      const file = path.join(strict.root, "f.bin");
      await writeFile(file, big.subarray(0, MiB));
      await chown(file, strict.owner.uid, strict.owner.gid);
      const source = await connect({
        host: strict.host,
        port: strict.port,
        user: strict.user,
        password: strict.password,
      });
      const destination = await toOurs();
      const error = await source.transferTo("f.bin", destination, "strict.bin").catch((e: unknown) => e);
      expect(FtpFxpError.isInstance(error)).toBe(true);
      const fxpError = error as FtpFxpError;
      expect(fxpError.code).toBe("FTP_ERR_FXP_REFUSED");
      // Destination (ours, 127.0.0.2) listening: pyftpdlib refuses to connect to a foreign address.
      expect(fxpError.attempts[0]).toMatchObject({
        passive: "destination",
        side: "source",
        reason: "address",
        code: 501,
      });
      // pyftpdlib listening: it takes no data connection from 127.0.0.2.
      expect(fxpError.attempts[1]).toMatchObject({ passive: "source", reason: "data-connection" });
      expect(await source.size("f.bin")).toBe(MiB);
      expect(await destination.pwd()).toBe("/");
    } finally {
      await strict.stop();
    }
  });
});
