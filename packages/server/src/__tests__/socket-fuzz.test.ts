/**
 * The socket fuzzer against a live server in a child process for a bounded time (a longer
 * run: `pnpm fuzz:socket`). Afterwards the server must answer a normal client, hold no
 * connection, listener or file descriptor more than before, have its heap back near the
 * baseline, and have reported no internal error.
 */
import { describe, expect, it } from "vitest";
import { describeReport, fuzzLiveServer } from "./fuzz-live-server.js";

describe("socket fuzzing a live server", () => {
  it("keeps serving, leaks nothing, after 12 s of hostile connections", { timeout: 120_000 }, async () => {
    const report = await fuzzLiveServer({ seconds: 12, workers: 24, seed: 1 });
    console.info(describeReport(report));
    expect(report.fuzz.connections).toBeGreaterThan(100);
  });
});
