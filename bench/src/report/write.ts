/** Writes the results: <out>/<timestamp>/results.{json,md} and ratios.svg, and <out>/latest.* copies. */
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { BenchReport } from "../measure/model.js";
import { ratioChart } from "./svg.js";
import { markdownTable } from "./table.js";

export function markdownReport(report: BenchReport, svgName: string): string {
  const m = report.machine;
  const lines = [
    `# ftpkit benchmark (${report.profile["name"]} profile)`,
    "",
    `Run ${report.startedAt} → ${report.finishedAt} (${report.durationSeconds.toFixed(0)} s) on ${m["cpus"]} × ${m["cpu"]}, ${m["memory"]}, Node ${m["node"]}, Linux ${m["kernel"]}; load average at start ${m["loadStart"]}, at end ${m["loadEnd"]}. Data: ${m["data"]}.`,
    "",
    "Medians of the measured runs (after warm-up) with the min–max spread. MB/s = 10^6 bytes/s. The ratio column is",
    "the ftpkit figure ÷ this peer's figure in the same row of the same run (for times, below 1× is better; for",
    "throughput, above 1× is better). Loopback figures drift by 20–30 % over minutes on a shared machine: compare",
    "only within one run.",
    "",
    markdownTable(report),
    "",
    `![ratios](${svgName})`,
    "",
    "## Subjects",
    "",
    ...Object.entries(report.subjects).map(([k, v]) => `- **${k}**: ${v}`),
    "",
  ];
  if (report.notes.length > 0) lines.push("## Notes", "", ...report.notes.map((n) => `- ${n}`), "");
  return lines.join("\n");
}

export async function writeReport(report: BenchReport, outRoot: string): Promise<string> {
  const stamp = report.startedAt.replace(/[:]/g, "-").replace(/\..*$/, "");
  const dir = path.join(outRoot, `${stamp}-${report.profile["name"]}`);
  await mkdir(dir, { recursive: true });
  const svg = ratioChart(report);
  const files: [string, string][] = [
    ["results.json", `${JSON.stringify(report, null, 2)}\n`],
    ["results.md", markdownReport(report, "ratios.svg")],
    ["ratios.svg", svg],
  ];
  for (const [name, text] of files) await writeFile(path.join(dir, name), text);
  await copyFile(path.join(dir, "results.json"), path.join(outRoot, "latest.json"));
  await writeFile(path.join(outRoot, "latest.md"), markdownReport(report, "latest.svg"));
  await copyFile(path.join(dir, "ratios.svg"), path.join(outRoot, "latest.svg"));
  return dir;
}
