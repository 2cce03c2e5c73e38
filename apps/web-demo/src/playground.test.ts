import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createContext, runInContext } from "node:vm";
import { build } from "vite";
import { describe, expect, it } from "vitest";
import { hexBytes, Playground, parseLine, runLoginScenario, runScenario, SCENARIOS, wireText } from "./playground.js";

describe("protocol playground", () => {
  it("runs a whole login and download conversation in memory", () => {
    const lines = runLoginScenario();
    expect(lines.map((l) => `${l.from}:${l.text.slice(0, 3)}`)).toEqual([
      "server:220",
      "client:USE",
      "server:331",
      "client:PAS",
      "server:230",
      "client:TYP",
      "server:200",
      "client:EPS",
      "server:229",
      "client:RET",
      "server:150",
      "server:226",
      "client:QUI",
      "server:221",
    ]);
  });

  it("bundles for the browser and runs in a sandbox with no Node globals", async () => {
    const out = mkdtempSync(join(tmpdir(), "ftpkit-webdemo-"));
    try {
      await build({
        configFile: false,
        logLevel: "silent",
        root: import.meta.dirname,
        resolve: { conditions: ["@ftpkit/source", "browser", "module", "import", "default"] },
        build: {
          outDir: out,
          emptyOutDir: true,
          minify: false,
          lib: {
            entry: join(import.meta.dirname, "playground.ts"),
            formats: ["iife"],
            name: "FtpkitPlayground",
            fileName: () => "bundle.js",
          },
        },
      });
      const code = readFileSync(join(out, "bundle.js"), "utf8");
      // A browser bundle must not reach for Node built-ins.
      const nodeUse =
        /.{0,60}(\brequire\(|from\s+["']node:|\bprocess\.(?:env|argv|nextTick|cwd|platform|versions?)\b|\bBuffer\.).{0,40}/.exec(
          code,
        );
      expect(nodeUse?.[0]).toBeUndefined();
      // Browser-like globals only: no process, require, Buffer or setTimeout.
      const sandbox: Record<string, unknown> = { TextEncoder, TextDecoder, console };
      sandbox["globalThis"] = sandbox;
      sandbox["self"] = sandbox;
      createContext(sandbox);
      runInContext(code, sandbox);
      const lines = runInContext("FtpkitPlayground.runLoginScenario()", sandbox) as { text: string }[];
      expect(lines.at(-1)?.text).toBe("221 Goodbye.");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("runs each scenario to its end, both machines agreeing", () => {
    const lastLines: Record<string, string[]> = {};
    for (const scenario of SCENARIOS) {
      const { playground, error } = runScenario(scenario.id);
      expect(error, scenario.id).toBeUndefined();
      const snap = playground.snapshot();
      lastLines[scenario.id] = snap.wire.slice(-3).map((w) => `${w.channel}:${w.from}:${wireText(w)}`);
      expect(snap.server.loggedIn).toBe(true);
    }
    expect(lastLines["login"]).toEqual([
      'control:server:257 "/" is the current directory.',
      "control:client:QUIT",
      "control:server:221 Goodbye.",
    ]);
    expect(lastLines["passive-download"]).toEqual([
      "data:server:Hello from ftpkit!\n",
      "control:client:QUIT",
      "control:server:221 Goodbye.",
    ]);
    expect(lastLines["resume"]?.[0]).toBe("data:server:NOPQRSTUVWXYZ\n");
    expect(lastLines["abort"]).toEqual([
      "control:server:226 ABOR successful.",
      "control:client:NOOP",
      "control:server:200 NOOP ok.",
    ]);
  });

  it("holds a transfer open until ABOR or finish, and explains refused input", () => {
    const p = new Playground({ holdTransfers: true });
    expect(p.run("USER demo")).toEqual({ ok: true });
    expect(p.run("PASS demo")).toEqual({ ok: true });
    expect(p.run("EPSV")).toEqual({ ok: true });
    expect(p.run("RETR welcome.txt")).toEqual({ ok: true });
    expect(p.snapshot()).toMatchObject({ held: true, client: { transfer: "RETR welcome.txt", idle: false } });
    expect(p.run("PWD")).toEqual({ ok: false, error: "can't send PWD while RETR awaits its reply" });
    expect(p.finishTransfer()).toEqual({ ok: true });
    expect(p.snapshot().held).toBe(false);
    expect(p.snapshot().wire.at(-1)).toMatchObject({ channel: "data", from: "server" });
    expect(p.run("TYPE I")).toEqual({ ok: true });
    expect(p.run("EPSV")).toEqual({ ok: true });
    expect(p.run("STOR up.txt")).toEqual({ ok: true });
    expect(p.finishTransfer()).toEqual({ ok: true });
    expect(p.run("SIZE up.txt")).toEqual({ ok: true });
    expect(
      wireText(p.snapshot().wire.at(-1) ?? { seq: 0, from: "server", channel: "control", bytes: new Uint8Array() }),
    ).toBe("213 30");
    expect(p.run("QUIT")).toEqual({ ok: true });
    expect(p.run("NOOP")).toEqual({ ok: false, error: "The connection is closed: reset to start again." });
  });

  it("parses typed lines and shows bytes", () => {
    expect(parseLine("retr a b.txt")).toEqual({ verb: "RETR", argument: "a b.txt" });
    expect(parseLine("NOOP")).toEqual({ verb: "NOOP", argument: undefined });
    expect(parseLine("")).toBe("Type a command, for example USER demo.");
    expect(parseLine("HELLO")).toBe("HELLO is not an FTP command this core knows.");
    expect(hexBytes(new TextEncoder().encode("PWD\r\n"))).toBe("50 57 44 0d 0a");
    expect(hexBytes(new Uint8Array(60), 4)).toBe("00 00 00 00 … (60 bytes)");
  });
});
