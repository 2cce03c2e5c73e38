import type { CellResult, RatioResult } from "../measure/model.js";

export function num(v: number, digits: number): string {
  if (!Number.isFinite(v)) return "—";
  if (Math.abs(v) < 0.5 / 10 ** digits) return (0).toFixed(digits); // no "-0.0"

  return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Significant-ish formatting for ratios: 0.82×, 3.1×, 12×. */
export function ratioText(r: number): string {
  if (!Number.isFinite(r)) return "—";
  const d = r >= 10 ? 0 : r >= 1 ? 2 : 2;
  return `${r.toFixed(d)}×`;
}

export function medianText(c: CellResult): string {
  if (c.status !== "ok" || !c.summary) return c.status;
  return num(c.summary.median, c.digits);
}

export function spreadText(c: CellResult): string {
  if (c.status !== "ok" || !c.summary) return "";
  return `${num(c.summary.min, c.digits)}–${num(c.summary.max, c.digits)}`;
}

/** "0.82× (≥ 0.8× vsftpd ✓)" for a ratio row. */
export function ratioCell(r: RatioResult | undefined): string {
  if (!r) return "";
  const t = r.target ? ` (target ${r.target.text} ${r.met ? "✓" : "✗"})` : "";
  return `${ratioText(r.ratio)}${t}`;
}
