import { afterEach, expect } from "vitest";
import type { Account, AccountPermissions } from "../account.js";
import type { FileSystem } from "../fs/file-system.js";
import { MemoryFileSystem, type MemoryFileSystemSeed } from "../fs/index.js";
import type { FtpServerOptions } from "../options.js";
import { FtpServer } from "../server.js";
import { RawClient } from "./raw-client.js";

/** Test accounts: name -> [password, permissions]. */
export const ACCOUNTS: Readonly<Record<string, readonly [string, AccountPermissions]>> = {
  alice: ["secret", "all"],
  reader: ["secret", "read-only"],
  nobody: ["secret", []],
};

export interface TestServer {
  readonly server: FtpServer;
  readonly port: number;
  readonly fs: FileSystem;
  /** A new control connection (registered for clean-up). */
  connect(options?: { host?: string; localAddress?: string }): Promise<RawClient>;
  /** A connection logged in as `user` (default alice). */
  login(user?: string): Promise<RawClient>;
}

const servers: FtpServer[] = [];
const clients: RawClient[] = [];

/**
 * Starts a server on 127.0.0.1 port 0 over a MemoryFileSystem shared by the test accounts
 * (fast, in-process authenticator). Everything started is stopped after each test, and no
 * reply may have broken the RFC 959 §5.4 sequence tables.
 */
export async function startServer(
  options: Partial<FtpServerOptions> & {
    files?: MemoryFileSystemSeed;
    fs?: FileSystem;
    account?: Partial<Account>;
  } = {},
): Promise<TestServer> {
  const { files, fs: givenFs, account, ...rest } = options;
  const fs = givenFs ?? new MemoryFileSystem(files ?? {});
  const server = new FtpServer({
    host: "127.0.0.1",
    port: 0,
    authenticate: ({ user, password }) => {
      const entry = ACCOUNTS[user];
      if (entry === undefined || entry[0] !== password) return null;
      return { fs, permissions: entry[1], ...account };
    },
    ...rest,
    limits: { failedLoginDelay: 0, ...rest.limits },
  });
  servers.push(server);
  const { port } = await server.listen();
  const connect = async (o: { host?: string; localAddress?: string } = {}) => {
    const client = await RawClient.connect(port, o);
    clients.push(client);
    return client;
  };
  return {
    server,
    port,
    fs,
    connect,
    login: async (user = "alice") => {
      const client = await connect();
      await client.login(user, ACCOUNTS[user]?.[0] ?? "secret");
      return client;
    },
  };
}

/** Registers a client made outside the harness for the sequence check and clean-up. */
export function track(client: RawClient): RawClient {
  clients.push(client);
  return client;
}

afterEach(async () => {
  const open = clients.splice(0);
  const list = servers.splice(0);
  for (const c of open) c.destroy();
  await Promise.all(list.map((s) => s.close({ deadline: 1000 })));
  for (const c of open) expect(c.violations, "replies outside the RFC 959 §5.4 sequence tables").toEqual([]);
});

export const text = (data: Uint8Array) => Buffer.from(data).toString("utf8");
