/**
 * `ftpkit serve --proxy-protocol-from` (and the config key `proxyProtocolFrom`): behind a TCP
 * load balancer, the PROXY protocol header of a trusted address gives the client's address,
 * which the session log shows; a bad list is a usage error. (The server side is tested in
 * @ftpkit/server, the real HAProxy in test/haproxy.)
 */
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { formatProxyHeaderV1, formatProxyHeaderV2 } from "@ftpkit/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupHome, ftpkit, type Running, start } from "../__tests__/process.js";
import { validateServeConfig } from "../serve-config.js";

const temps: string[] = [];
const running: Running[] = [];
afterAll(async () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill("SIGKILL");
  await cleanupHome();
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

async function serve(args: readonly string[]): Promise<{ run: Running; port: number }> {
  const run = await start(["serve", ...args]);
  running.push(run);
  const url = (await run.waitForLine(/ftp:\/\//)).trim();
  await run.waitForLine(/^Press Ctrl-C to stop\.$/);
  return { run, port: Number(/:(\d+)\/$/.exec(url)?.[1]) };
}

/** Connects, sends `preamble`, logs in; returns the reply codes seen. */
async function session(port: number, preamble: Uint8Array | undefined, localAddress?: string): Promise<number[]> {
  const socket = connect({ host: "127.0.0.1", port, ...(localAddress === undefined ? {} : { localAddress }) });
  await once(socket, "connect");
  if (preamble !== undefined) socket.write(preamble);
  const codes: number[] = [];
  const waiters: ((code: number) => void)[] = [];
  createInterface({ input: socket }).on("line", (l) => {
    if (!/^\d{3} /.test(l)) return;
    const code = Number(l.slice(0, 3));
    const w = waiters.shift();
    if (w) w(code);
    else codes.push(code);
  });
  const reply = () => new Promise<number>((r) => (codes.length > 0 ? r(codes.shift() as number) : waiters.push(r)));
  const seen = [await reply()];
  socket.write("USER u\r\n");
  seen.push(await reply());
  socket.write("PASS p\r\n");
  seen.push(await reply());
  socket.end("QUIT\r\n");
  seen.push(await reply());
  await once(socket, "close");
  return seen;
}

const CLIENT = {
  family: 4 as const,
  sourceAddress: "203.0.113.9",
  sourcePort: 50123,
  destinationAddress: "198.51.100.1",
  destinationPort: 21,
};

describe("ftpkit serve --proxy-protocol-from", () => {
  it("takes the client address from a trusted proxy's header (v1 and v2); others are plain FTP", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftpkit-serve-proxy-"));
    temps.push(dir);
    const { run, port } = await serve([
      dir,
      "--port",
      "0",
      "--user",
      "u",
      "--password",
      "p",
      "--proxy-protocol-from",
      "127.0.0.1,10.0.0.0/8",
    ]);
    expect(await session(port, formatProxyHeaderV1(CLIENT))).toEqual([220, 331, 230, 221]);
    await run.waitForLine(/ 203\.0\.113\.9 connect \(port 50123\)/);
    await run.waitForLine(/ 203\.0\.113\.9 login u/);
    const v2 = formatProxyHeaderV2({ command: "proxy", addresses: { ...CLIENT, sourceAddress: "203.0.113.10" } });
    expect(await session(port, v2)).toEqual([220, 331, 230, 221]);
    await run.waitForLine(/ 203\.0\.113\.10 login u/);
    // Not a trusted address: no header is parsed, the real address is logged.
    expect(await session(port, undefined, "127.0.0.2")).toEqual([220, 331, 230, 221]);
    await run.waitForLine(/ 127\.0\.0\.2 login u/);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(0);
  });

  it("the config key proxyProtocolFrom, and bad lists are usage errors (exit 2)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftpkit-serve-proxy-"));
    temps.push(dir);
    const file = join(dir, "ftpkit.yaml");
    await writeFile(file, `dir: ${dir}\nport: 0\nuser: u\npassword: p\nproxyProtocolFrom: ["127.0.0.1"]\n`);
    const { run, port } = await serve(["--config", file]);
    expect(await session(port, formatProxyHeaderV1(CLIENT))).toEqual([220, 331, 230, 221]);
    await run.waitForLine(/ 203\.0\.113\.9 login u/);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(0);

    const bad = await ftpkit(["serve", dir, "--proxy-protocol-from", "127.0.0.1,haproxy.local"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("CIDR");
    await writeFile(file, `dir: ${dir}\nproxyProtocolFrom: ["10.0.0.0/33"]\n`);
    const badConfig = await ftpkit(["serve", "--config", file]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.err).toContain("proxyProtocolFrom");
  });

  it("validates config values: addresses and CIDR blocks of both families, at least one", () => {
    expect(validateServeConfig({ proxyProtocolFrom: ["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"] }, "f")).toEqual({
      proxyProtocolFrom: ["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"],
    });
    for (const bad of [[], ["10.0.0.0/8/1"], ["fd00::/129"], ["10.0.0.1/01"], ["fe80::1%eth0"], "127.0.0.1"]) {
      expect(() => validateServeConfig({ proxyProtocolFrom: bad }, "f"), JSON.stringify(bad)).toThrow();
    }
  });
});
