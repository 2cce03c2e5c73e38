import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration } from "./format.js";
import { ProgressBar } from "./progress.js";

describe("progress bar", () => {
  it("shows percentage, bytes, rate and ETA when the size is known", () => {
    const line = ProgressBar.render(
      "big.iso",
      { bytes: 512 * 1024 * 1024, total: 1024 * 1024 * 1024, rate: 64 * 1024 * 1024 },
      100,
    );
    expect(line).toMatch(/^big\.iso \[=+> +\] {2}50% 512 MiB\/1\.0 GiB 64 MiB\/s ETA 0:08$/);
    expect(line.length).toBeLessThan(100);
  });

  it("shows bytes and rate without a size, and fits narrow terminals", () => {
    expect(ProgressBar.render("x", { bytes: 2048, total: undefined, rate: 1024 }, 80)).toBe("x  2.0 KiB  1.0 KiB/s");
    const narrow = ProgressBar.render("a-very-long-file-name.tar.gz", { bytes: 1, total: 2, rate: 0 }, 40);
    expect(narrow.length).toBeLessThan(40);
    expect(narrow).toContain("50%");
  });

  it("formats sizes and durations", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023.6)).toBe("1024 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(300 * 1024 * 1024)).toBe("300 MiB");
    expect(formatDuration(65)).toBe("1:05");
    expect(formatDuration(3723)).toBe("1:02:03");
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe("--:--");
  });
});
