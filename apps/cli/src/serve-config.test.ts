import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CliUsageError } from "./errors.js";
import { loadServeConfig, validateServeConfig } from "./serve-config.js";

const dir = await mkdtemp(join(tmpdir(), "ftpkit-config-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("serve config", () => {
  it("accepts camelCase and command-line spellings; paths are relative to the file", () => {
    const c = validateServeConfig(
      { dir: "site", port: 2121, "passive-ports": "50000-50010", readOnly: true, users: "users.yaml" },
      "/etc/ftpkit/ftpkit.yaml",
    );
    expect(c).toEqual({
      dir: "/etc/ftpkit/site",
      port: 2121,
      passivePorts: [50000, 50010],
      readOnly: true,
      users: "/etc/ftpkit/users.yaml",
    });
    expect(validateServeConfig({ passivePorts: [1, 2] }, "f").passivePorts).toEqual([1, 2]);
    expect(validateServeConfig(null, "f")).toEqual({});
  });

  it.each([
    [{ prot: 21 }, /config f: unknown key "prot"/],
    [{ "read-onyl": true }, /unknown key "read-onyl"/],
    [{ port: 70000 }, /"port": /],
    [{ port: "21" }, /"port": /],
    [{ "passive-ports": "9-1" }, /"passive-ports": must be LOW-HIGH/],
    [{ anonymous: "yes" }, /"anonymous": /],
    [[1, 2], /expected a map of options/],
  ])("names the bad key: %j", (value, message) => {
    expect(() => validateServeConfig(value, "f")).toThrow(CliUsageError);
    expect(() => validateServeConfig(value, "f")).toThrow(message);
  });

  it("reads JSON and YAML files; an unreadable or malformed file is a usage error", async () => {
    await writeFile(join(dir, "a.json"), '{"port": 0, "anonymous": true}');
    expect(await loadServeConfig(join(dir, "a.json"))).toEqual({ port: 0, anonymous: true });
    await writeFile(join(dir, "b.yaml"), "port: 0\nwrite: true\n");
    expect(await loadServeConfig(join(dir, "b.yaml"))).toEqual({ port: 0, write: true });
    await writeFile(join(dir, "c.yaml"), "port: [\n");
    await expect(loadServeConfig(join(dir, "c.yaml"))).rejects.toThrow(/not valid JSON or YAML/);
    await expect(loadServeConfig(join(dir, "none.yaml"))).rejects.toThrow(/cannot read config .*: no such file/);
  });
});
