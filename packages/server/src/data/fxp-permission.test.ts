/**
 * The account-level `fxp` permission (issue 11), on one server with two accounts: `fxp` may
 * send PORT/EPRT to a foreign host (never to a port below 1024) and its passive data
 * connections may come from another address; the account next to it keeps the bounce-attack
 * defences (RFC 2577 §3 and §5) exactly as without FXP.
 */
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { encodeEprtArgument, encodeHostPort } from "@ftpkit/protocol";
import { describe, expect, it } from "vitest";
import { startServer, text } from "../__tests__/harness.js";
import { RawClient, readAll } from "../__tests__/raw-client.js";
import { MemoryFileSystem } from "../fs/index.js";

const FILES = { "/f.txt": "some data\n" };

/** The server with `fxper` (fxp: true) and `plain` (no fxp) on one file system. */
async function twoAccounts() {
  const fs = new MemoryFileSystem(FILES);
  return startServer({
    fs,
    authenticate: ({ user, password }) => {
      if (password !== "secret") return null;
      if (user === "fxper") return { fs, fxp: true };
      if (user === "plain") return { fs };
      return null;
    },
  });
}

/** A listener on 127.0.0.2: a host other than the control connection's peer (127.0.0.1). */
async function foreignListener(): Promise<{ server: Server; port: number; accepted: Promise<Socket> }> {
  const server = createServer();
  server.listen(0, "127.0.0.2");
  await once(server, "listening");
  const accepted = once(server, "connection").then(([socket]) => socket as Socket);
  return { server, port: (server.address() as { port: number }).port, accepted };
}

async function refusedAtOnce(socket: Socket, ms = 300): Promise<boolean> {
  if (socket.destroyed) return true; // reset while connecting
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.on("error", () => {});
    socket.resume();
  });
}

describe("the fxp account permission", () => {
  it("lets that account PORT/EPRT to a foreign host, never to a port below 1024; the other account keeps 500", async () => {
    const t = await twoAccounts();
    const fxper = await t.connect();
    await fxper.login("fxper", "secret");
    const plain = await t.connect();
    await plain.login("plain", "secret");

    await fxper.expect("PORT", "127,0,0,2,4,1", 200);
    await fxper.expect("EPRT", "|1|127.0.0.2|1025|", 200);
    await fxper.expect("PORT", "127,0,0,2,0,80", 504);
    await fxper.expect("EPRT", "|1|127.0.0.2|1023|", 504);
    await fxper.expect("EPRT", "|1|127.0.0.1|21|", 504);

    await plain.expect("PORT", "127,0,0,2,4,1", 500);
    await plain.expect("EPRT", "|1|127.0.0.2|1025|", 500);
    await plain.expect("PORT", "127,0,0,1,0,21", 504);
  });

  it("connects the fxp account's data connection to the foreign host it named", async () => {
    const t = await twoAccounts();
    const fxper = await t.connect();
    await fxper.login("fxper", "secret");
    await fxper.expect("TYPE", "I", 200);
    for (const verb of ["PORT", "EPRT"] as const) {
      const target = await foreignListener();
      try {
        const argument = (verb === "PORT" ? encodeHostPort : encodeEprtArgument)({
          host: "127.0.0.2",
          port: target.port,
        });
        await fxper.expect(verb, argument, 200);
        await fxper.expect("RETR", "f.txt", 150);
        const socket = await target.accepted;
        expect(text(await readAll(socket))).toBe("some data\n");
        expect((await fxper.nextReply()).code).toBe(226);
      } finally {
        target.server.close();
      }
    }
  });

  it("takes the fxp account's passive data connection from another address, and not the other account's", async () => {
    const t = await twoAccounts();
    const fxper = await t.connect();
    await fxper.login("fxper", "secret");
    await fxper.expect("TYPE", "I", 200);
    const hp = await fxper.epsv();
    const socket = await RawClient.connectData(hp, "127.0.0.2");
    await fxper.expect("RETR", "f.txt", 150);
    expect(text(await readAll(socket))).toBe("some data\n");
    expect((await fxper.nextReply()).code).toBe(226);

    const plain = await t.connect();
    await plain.login("plain", "secret");
    await plain.expect("TYPE", "I", 200);
    const hp2 = await plain.epsv();
    expect(await refusedAtOnce(await RawClient.connectData(hp2, "127.0.0.2"))).toBe(true);
    // ... and keeps waiting for its own client (RFC 2577 §8), as without any FXP account around.
    const own = await RawClient.connectData(hp2);
    await plain.expect("RETR", "f.txt", 150);
    expect(text(await readAll(own))).toBe("some data\n");
    expect((await plain.nextReply()).code).toBe(226);
  });
});
