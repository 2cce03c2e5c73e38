/** ftpkit ÷ peer ratios within each row, the targets, and derived figures (pool speed-ups). */
import type { AbsoluteCheck, CellResult, RatioResult, RowDef, Target } from "../measure/model.js";

function check(op: Target["op"], v: number, t: number): boolean {
  // a little tolerance for figures printed as equal
  return op === ">=" ? v >= t - 1e-9 : v <= t + 1e-9;
}

export function computeRatios(cells: readonly CellResult[], rows: readonly RowDef[]): RatioResult[] {
  const out: RatioResult[] = [];
  const byRowMetric = new Map<string, CellResult[]>();
  for (const c of cells) {
    const k = `${c.row}\u0000${c.metric}`;
    const list = byRowMetric.get(k) ?? [];
    list.push(c);
    byRowMetric.set(k, list);
  }
  const rowDefs = new Map(rows.map((r) => [r.id, r]));
  for (const list of byRowMetric.values()) {
    const first = list[0]!;
    const row = rowDefs.get(first.row);
    const metric = row?.metrics.find((m) => m.id === first.metric);
    if (metric?.ratios === false) continue;
    for (const f of list.filter((c) => c.ftpkit && c.summary)) {
      for (const p of list.filter((c) => !c.ftpkit && c.summary)) {
        const ratio = f.summary!.median / p.summary!.median;
        if (!Number.isFinite(ratio) || ratio <= 0) continue;
        const r: RatioResult = {
          row: f.row,
          rowTitle: f.rowTitle,
          group: f.group,
          metric: f.metric,
          metricLabel: f.metricLabel,
          better: f.better,
          subject: f.subject,
          peer: p.subject,
          ratio,
          advantage: f.better === "higher" ? ratio : 1 / ratio,
        };
        const target = row?.targets?.find((t) => t.metric === f.metric && t.versus === p.subject);
        if (target) {
          r.target = target;
          r.met = check(target.op, ratio, target.value);
        }
        out.push(r);
      }
    }
  }
  return out;
}

export function computeAbsolute(cells: readonly CellResult[], rows: readonly RowDef[]): AbsoluteCheck[] {
  const out: AbsoluteCheck[] = [];
  for (const row of rows) {
    for (const t of row.targets ?? []) {
      if (t.versus !== undefined) continue;
      for (const c of cells.filter((x) => x.row === row.id && x.metric === t.metric && x.ftpkit && x.summary)) {
        const value = c.summary!.median;
        out.push({
          row: row.id,
          rowTitle: row.title,
          metric: t.metric,
          subject: c.subject,
          value,
          target: t,
          met: check(t.op, value, t.value),
        });
      }
    }
  }
  return out;
}

/**
 * Derived rows: for each uploadDir server, each subject's speed-up of pool N over pool 1
 * (time with 1 connection ÷ time with N), range from the extreme runs.
 */
export function deriveSpeedups(cells: readonly CellResult[]): { rows: RowDef[]; cells: CellResult[] } {
  const rows: RowDef[] = [];
  const out: CellResult[] = [];
  const pools = new Map<string, Map<number, CellResult[]>>(); // server -> pool -> cells
  for (const c of cells) {
    const m = /^upload-dir\.pool(\d+)@(.+)$/.exec(c.row);
    if (!m || c.metric !== "time") continue;
    const server = m[2]!;
    const byPool = pools.get(server) ?? new Map<number, CellResult[]>();
    const list = byPool.get(Number(m[1])) ?? [];
    list.push(c);
    byPool.set(Number(m[1]), list);
    pools.set(server, byPool);
  }
  for (const [server, byPool] of pools) {
    const one = byPool.get(1);
    if (!one) continue;
    for (const [n, list] of [...byPool].sort((a, b) => a[0] - b[0])) {
      if (n === 1) continue;
      const id = `upload-dir.speedup${n}@${server}`;
      const title = `uploadDir speed-up, ${n} connections ÷ 1 (time with 1 ÷ time with ${n}), to ${server}`;
      const metric = { id: "speedup", label: "speed-up", unit: "×", better: "higher" as const, digits: 2 };
      const row: RowDef = {
        id,
        group: `uploadDir (server: ${server})`,
        title,
        metrics: [metric],
        targets: n === 4 ? [{ metric: "speedup", op: ">=", value: 2.5, text: "pool of 4 ≥ 2.5× pool of 1" }] : [],
        plan: async () => ({ cases: [], skipped: [] }),
      };
      rows.push(row);
      for (const c of list) {
        if (c.status === "n/a") continue;
        const base = one.find((x) => x.subject === c.subject);
        const cell: CellResult = {
          ...c,
          row: id,
          rowTitle: title,
          metric: metric.id,
          metricLabel: metric.label,
          unit: metric.unit,
          better: metric.better,
          digits: metric.digits,
          samples: [],
        };
        delete cell.summary;
        if (c.summary && base?.summary) {
          const median = base.summary.median / c.summary.median;
          cell.status = "ok";
          cell.summary = {
            median,
            min: base.summary.min / c.summary.max,
            max: base.summary.max / c.summary.min,
            n: Math.min(base.summary.n, c.summary.n),
          };
          cell.samples = [median];
          delete cell.note;
        } else if (c.status === "ok") {
          cell.status = "n/a";
          cell.note = "no pool-of-1 figure";
        }
        out.push(cell);
      }
    }
  }
  return { rows, cells: out };
}
