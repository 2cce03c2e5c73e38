/**
 * An SVG bar chart of the ratios (no dependency): one bar per ftpkit-vs-peer ratio, on a log
 * scale around 1×. The bar shows ftpkit's advantage (the throughput ratio, or the inverse of
 * the time ratio, so that right of 1× is always "ftpkit better"); a black tick marks the
 * issue's target where there is one; the bar is green when the target is met (or, without a
 * target, when ftpkit is ahead), red otherwise.
 */
import type { BenchReport, RatioResult } from "../measure/model.js";
import { ratioText } from "./format.js";

const W = 1100;
const LABEL_W = 470;
const RIGHT_PAD = 70;
const BAR_H = 14;
const ROW_H = 20;
const TOP = 74;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function targetAdvantage(r: RatioResult): number | undefined {
  if (!r.target) return undefined;
  return r.better === "higher" ? r.target.value : 1 / r.target.value;
}

export function ratioChart(report: BenchReport): string {
  const ratios = report.ratios;
  const groups: { group: string; items: RatioResult[] }[] = [];
  for (const r of ratios) {
    const g = groups.find((x) => x.group === r.group);
    if (g) g.items.push(r);
    else groups.push({ group: r.group, items: [r] });
  }
  const values = ratios.flatMap((r) => [r.advantage, targetAdvantage(r) ?? 1]);
  const lo = Math.min(0.1, ...values.map((v) => v / 1.3));
  const hi = Math.max(10, ...values.map((v) => v * 1.3));
  const l0 = Math.log10(lo);
  const l1 = Math.log10(hi);
  const x0 = LABEL_W;
  const x1 = W - RIGHT_PAD;
  const x = (v: number) => x0 + ((Math.log10(v) - l0) / (l1 - l0)) * (x1 - x0);
  const rowsCount = ratios.length + groups.length;
  const H = TOP + Math.max(rowsCount, 1) * ROW_H + 60;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12" role="img">`,
    // The accessible name (and what Biome's noSvgWithoutTitle asks for).
    `<title>ftpkit's advantage over each peer in one benchmark run (${esc(report.profile["name"] as string)} profile), log scale</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600">ftpkit against each peer, same run (${esc(report.profile["name"] as string)} profile, ${esc(report.startedAt.slice(0, 16).replace("T", " "))} UTC)</text>`,
    `<text x="16" y="44" fill="#444">Bar: ftpkit's advantage on a log scale (throughput ratio, or peer time ÷ ftpkit time); right of 1× = ftpkit better.</text>`,
    `<text x="16" y="60" fill="#444">Black tick: the issue's target. Green: target met (or ahead without a target); red: missed (or behind).</text>`,
  );
  // grid
  const ticks: number[] = [];
  for (let e = Math.floor(l0); e <= Math.ceil(l1); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) ticks.push(v);
    }
  }
  const gridBottom = TOP + rowsCount * ROW_H;
  let lastLabel = Number.NEGATIVE_INFINITY;
  for (const v of ticks) {
    const px = x(v);
    const gx = px.toFixed(1);
    out.push(
      `<line x1="${gx}" y1="${TOP - 6}" x2="${gx}" y2="${gridBottom}" stroke="${v === 1 ? "#222" : "#e3e3e3"}" stroke-width="${v === 1 ? 1.5 : 1}"/>`,
    );
    if (px - lastLabel >= 36) {
      out.push(
        `<text x="${gx}" y="${gridBottom + 16}" text-anchor="middle" fill="#555">${Number(v.toPrecision(2))}×</text>`,
      );
      lastLabel = px;
    }
  }
  if (ratios.length === 0) {
    out.push(
      `<text x="${x0}" y="${TOP + 14}" fill="#a00">No ftpkit figure in this run: nothing to compare (see the table for the reasons).</text>`,
    );
  }
  let y = TOP;
  for (const g of groups) {
    out.push(`<text x="16" y="${y + 14}" font-weight="600">${esc(g.group)}</text>`);
    y += ROW_H;
    for (const r of g.items) {
      const label = `${r.rowTitle} — ${r.metricLabel}, vs ${r.peer}`;
      const text = `${r.row} · ${r.metricLabel} · vs ${r.peer}`;
      const short = text.length > 76 ? `${text.slice(0, 75)}…` : text;
      const good = r.met ?? r.advantage >= 1;
      const bx = Math.min(x(1), x(r.advantage));
      const bw = Math.max(1, Math.abs(x(r.advantage) - x(1)));
      out.push(
        `<g><title>${esc(`${label}: ftpkit ÷ ${r.peer} = ${ratioText(r.ratio)} (${r.better} is better)${r.target ? `; target ${r.target.text}: ${r.met ? "met" : "missed"}` : ""}`)}</title>`,
        `<text x="${x0 - 8}" y="${y + 13}" text-anchor="end" fill="#222">${esc(short)}</text>`,
        `<rect x="${bx.toFixed(1)}" y="${y + 3}" width="${bw.toFixed(1)}" height="${BAR_H}" fill="${good ? "#3a9d5d" : "#d0503c"}" rx="2"/>`,
      );
      const t = targetAdvantage(r);
      if (t !== undefined) {
        const tx = x(t).toFixed(1);
        out.push(`<line x1="${tx}" y1="${y + 1}" x2="${tx}" y2="${y + BAR_H + 5}" stroke="#000" stroke-width="2"/>`);
      }
      const vx = Math.max(x(1), x(r.advantage), t === undefined ? 0 : x(t) + 2) + 4;
      out.push(`<text x="${vx.toFixed(1)}" y="${y + 14}" fill="#222">${ratioText(r.advantage)}</text></g>`);
      y += ROW_H;
    }
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
