/**
 * The one table: every figure (median and min–max of the runs), and on each peer's line the
 * ftpkit figure's ratio to it (ftpkit ÷ peer, same row, same run). Text for the terminal,
 * Markdown for the results file.
 */
import type { AbsoluteCheck, BenchReport, CellResult, RatioResult } from "../measure/model.js";
import { medianText, ratioCell, spreadText } from "./format.js";

interface Line {
  row: string;
  metric: string;
  subject: string;
  median: string;
  spread: string;
  runs: string;
  ratio: string;
  note: string;
}

const HEAD: Line = {
  row: "row",
  metric: "metric (unit, better)",
  subject: "subject",
  median: "median",
  spread: "min–max",
  runs: "runs",
  ratio: "ftpkit ÷ this",
  note: "note",
};

function ratiosFor(report: BenchReport, c: CellResult): string {
  if (c.ftpkit) {
    const abs = report.absolute.filter(
      (a: AbsoluteCheck) => a.row === c.row && a.metric === c.metric && a.subject === c.subject,
    );
    return abs.map((a) => `target ${a.target.text} ${a.met ? "✓" : "✗"}`).join("; ");
  }
  const rs = report.ratios.filter((r: RatioResult) => r.row === c.row && r.metric === c.metric && r.peer === c.subject);
  if (rs.length === 1) return ratioCell(rs[0]);
  return rs.map((r) => `${r.subject}: ${ratioCell(r)}`).join("; ");
}

export function tableLines(report: BenchReport): Line[] {
  const lines: Line[] = [];
  let lastRow = "";
  let lastMetric = "";
  for (const c of report.cells) {
    const newRow = c.row !== lastRow;
    const newMetric = newRow || c.metric !== lastMetric;
    lines.push({
      row: newRow ? c.rowTitle : "",
      metric: newMetric ? `${c.metricLabel} (${c.unit}, ${c.better} better)` : "",
      subject: c.subjectLabel,
      median: medianText(c),
      spread: spreadText(c),
      runs: c.summary ? String(c.summary.n) : "",
      ratio: ratiosFor(report, c),
      note: c.note ?? "",
    });
    lastRow = c.row;
    lastMetric = c.metric;
  }
  return lines;
}

const COLS: (keyof Line)[] = ["row", "metric", "subject", "median", "spread", "runs", "ratio", "note"];
const TEXT_COLS: (keyof Line)[] = ["metric", "subject", "median", "spread", "runs", "ratio", "note"];
const WIDTH: Partial<Record<keyof Line, number>> = { metric: 44, note: 80 };

function clip(s: string, w: number | undefined): string {
  if (w === undefined || s.length <= w) return s;
  return `${s.slice(0, w - 1)}…`;
}

/**
 * Plain-text table for the terminal: each row's title on a line of its own, then one line per
 * metric and subject (long notes clipped; the Markdown file has them whole).
 */
export function textTable(report: BenchReport): string {
  const lines = tableLines(report);
  const clipped = lines.map((l) => {
    const o = { ...l };
    for (const k of TEXT_COLS) o[k] = clip(o[k], WIDTH[k]);
    return o;
  });
  const widths = TEXT_COLS.map((k) => Math.max(HEAD[k].length, ...clipped.map((r) => r[k].length)));
  const right = new Set<keyof Line>(["median", "spread", "runs"]);
  const fmt = (l: Line) =>
    `  ${TEXT_COLS.map((k, i) => (right.has(k) ? l[k].padStart(widths[i]!) : l[k].padEnd(widths[i]!)))
      .join("  ")
      .trimEnd()}`;
  const out = [fmt(HEAD), `  ${widths.map((w) => "-".repeat(w)).join("  ")}`];
  for (const l of clipped) {
    if (l.row) out.push("", l.row);
    out.push(fmt(l));
  }
  return out.join("\n");
}

function md(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function markdownTable(report: BenchReport): string {
  const lines = tableLines(report);
  const out = [
    `| ${COLS.map((k) => HEAD[k]).join(" | ")} |`,
    `| ${COLS.map((k) => (k === "median" || k === "spread" || k === "runs" ? "---:" : "---")).join(" | ")} |`,
  ];
  for (const l of lines)
    out.push(`| ${COLS.map((k) => md(k === "row" && l.row ? `**${l.row}**` : l[k])).join(" | ")} |`);
  return out.join("\n");
}
