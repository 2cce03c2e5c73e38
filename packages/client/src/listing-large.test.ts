/**
 * Regression (bench report, issue 9): list() of a 10,000-entry directory from vsftpd returned
 * repeated and garbled names, because borrowed read-buffer chunks were "copied" with
 * Buffer#slice, which makes a view. Listings bigger than one read buffer must come back whole.
 */
// biome-ignore lint/style/noRestrictedImports: a test may use the server (DESIGN.md "Testing, layer by layer" 3).
import { FtpServer, MemoryFileSystem } from "@ftpkit/server";
import { describe, expect, it } from "vitest";
import { FAST, onCleanup } from "./__tests__/helpers.js";
import { Client } from "./client.js";

describe("large listings", () => {
  it.each([true, false])("lists 6,000 entries exactly once each (mlsd: %s)", async (mlsd) => {
    const seed: Record<string, string> = {};
    for (let i = 0; i < 6000; i++) seed[`/many/entry-${String(i).padStart(5, "0")}-${"x".repeat(40)}.txt`] = "";
    const fs = new MemoryFileSystem(seed);
    const server = new FtpServer({
      host: "127.0.0.1",
      port: 0,
      authenticate: () => ({ fs }),
      limits: { failedLoginDelay: 0 },
    });
    const { port } = await server.listen();
    onCleanup(() => server.close());
    const client = await Client.connect({ host: "127.0.0.1", port, user: "u", password: "p", mlsd, ...FAST });
    onCleanup(() => client.close());
    const names = (await client.list("/many")).map((e) => e.name);
    expect(names.length).toBe(6000);
    expect(new Set(names).size).toBe(6000);
    expect(names.sort()[5999]).toBe(`entry-05999-${"x".repeat(40)}.txt`);
  });
});
