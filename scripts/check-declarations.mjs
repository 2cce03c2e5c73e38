#!/usr/bin/env node
// Type-checks the built declaration files of every published library with skipLibCheck off,
// as a consumer with strict settings would: an `@internal` type stripped from the output but
// still referenced (stripInternal) breaks them, and ordinary typechecks of the sources miss it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const files = [];
for (const pkg of ["protocol", "server", "client", "storage-s3", "accounts-pg"]) {
  const manifest = JSON.parse(readFileSync(join(root, "packages", pkg, "package.json"), "utf8"));
  for (const entry of Object.values(manifest.exports ?? {})) {
    if (typeof entry !== "object" || typeof entry.types !== "string") continue;
    const file = join(root, "packages", pkg, entry.types);
    if (!existsSync(file)) {
      console.error(`missing declaration ${file}: build first`);
      process.exit(1);
    }
    files.push(file);
  }
}
const dir = mkdtempSync(join(tmpdir(), "ftpkit-dts-"));
try {
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        module: "NodeNext",
        moduleResolution: "NodeNext",
        lib: ["ES2023", "DOM"],
        types: ["node"],
        typeRoots: [join(root, "node_modules", "@types")],
      },
      files,
    }),
  );
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
  const problems = `${result.stdout}${result.stderr}`
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.includes("node_modules/"));
  if (result.status !== 0 && problems.length > 0) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
  console.log(`declarations of ${files.length} entry points type-check without skipLibCheck`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
