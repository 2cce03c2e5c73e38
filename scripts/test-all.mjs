#!/usr/bin/env node
// The README's "run every test" entry point (and what .ci/run calls):
// 1. installs the system packages the tests drive (real FTP peers, clients, chromium),
// 2. builds every package, checks lint, formatting and types,
// 3. runs every vitest project with a JSON report,
// 4. prints one plain line "N passed, M failed" with the real totals.
// Exit status is non-zero when anything failed or when no test ran at all.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1", FORCE_COLOR: "0" };
const started = Date.now();

function step(title, command, args, { allowFailure = false } = {}) {
  const t0 = Date.now();
  console.log(`\n== ${title}: ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd: root, env, stdio: "inherit" });
  const ok = result.status === 0;
  console.log(
    `== ${title}: ${ok ? "ok" : `failed (exit ${result.status ?? result.signal})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (!ok && !allowFailure) {
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  return ok;
}

// System packages: each area that needs some ships an idempotent installer.
for (const installer of ["scripts/install-system-deps.sh"]) {
  if (existsSync(join(root, installer))) step("system packages", "bash", [installer]);
}
step("build", "pnpm", ["run", "build"]);
const lintOk = step("lint and format", "pnpm", ["exec", "biome", "check", "."], { allowFailure: true });
const typesOk = step("typecheck", "pnpm", ["run", "typecheck"], { allowFailure: true });
const declarationsOk = step("published declarations", "node", ["scripts/check-declarations.mjs"], {
  allowFailure: true,
});

mkdirSync(join(root, "artifacts"), { recursive: true });
const report = join(root, "artifacts", "vitest-report.json");
const testsOk = step(
  "tests",
  "pnpm",
  ["exec", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`],
  { allowFailure: true },
);

let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, "utf8"));
  passed = json.numPassedTests ?? 0;
  failed = json.numFailedTests ?? 0;
  // A test file that failed to load has no failed test of its own: count it once.
  for (const file of json.testResults ?? []) {
    const failedInFile = (file.assertionResults ?? []).filter((a) => a.status === "failed").length;
    if (file.status === "failed" && failedInFile === 0) {
      console.log(`failed to run: ${file.name}: ${String(file.message ?? "").split("\n")[0]}`);
      failed += 1;
    }
  }
  if ((json.numTodoTests ?? 0) + (json.numPendingTests ?? 0) > 0) {
    console.log(`note: ${json.numPendingTests} skipped and ${json.numTodoTests} todo tests count as failures`);
    failed += (json.numTodoTests ?? 0) + (json.numPendingTests ?? 0);
  }
} else {
  failed += 1;
}
// A lint or type error counts as a failed check so it cannot pass unseen.
if (!lintOk) failed += 1;
if (!typesOk) failed += 1;
if (!declarationsOk) failed += 1;
if (!testsOk && failed === 0) failed += 1;
console.log(`\ntotal time ${((Date.now() - started) / 60000).toFixed(1)} min`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
