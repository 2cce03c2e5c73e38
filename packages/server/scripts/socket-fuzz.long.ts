// `pnpm fuzz:socket`: the socket fuzzer of src/__tests__/socket-fuzz.test.ts for minutes
// instead of seconds. SOCKET_FUZZ_SECONDS (default 180), SOCKET_FUZZ_WORKERS (default 32),
// SOCKET_FUZZ_SEED (default 1).
import { expect, it } from "vitest";
import { describeReport, fuzzLiveServer } from "../src/__tests__/fuzz-live-server.js";

const seconds = Number(process.env["SOCKET_FUZZ_SECONDS"] ?? 180);
const workers = Number(process.env["SOCKET_FUZZ_WORKERS"] ?? 32);
const seed = Number(process.env["SOCKET_FUZZ_SEED"] ?? 1);

it(`socket fuzz: ${seconds} s, ${workers} workers, seed ${seed}`, async () => {
  const started = Date.now();
  const report = await fuzzLiveServer({ seconds, workers, seed });
  console.info(describeReport(report));
  console.info(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  expect(report.fuzz.connections).toBeGreaterThan(0);
});
