import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createContext, runInContext } from "node:vm";
import { build } from "vite";
import { describe, expect, it } from "vitest";
import { runLoginScenario } from "./playground.js";

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
});
