/**
 * Runs one row: every case gets its warm-up, then the measured runs go round-robin over the
 * cases (the order rotating each round), so that all subjects of a row see the same machine
 * state; loopback figures drift over minutes, so only figures of one row are compared.
 */
import { errorMessage } from "../util/misc.js";
import type { Case, CellResult, RowDef, RowPlan, Sample } from "./model.js";
import { summarize } from "./stats.js";

export interface ExecuteOptions {
  runs: number;
  warmups: number;
  log: (line: string) => void;
}

interface CaseState {
  c: Case;
  samples: Sample[];
  error?: string;
}

function fmt(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

export async function executeRow(row: RowDef, plan: RowPlan, options: ExecuteOptions): Promise<CellResult[]> {
  const runs = row.runs ?? options.runs;
  const warmups = row.warmups ?? options.warmups;
  const states: CaseState[] = plan.cases.map((c) => ({ c, samples: [] }));
  for (const s of states) {
    for (let i = 0; i < warmups && !s.error; i++) {
      try {
        if (s.c.warmup) await s.c.warmup();
        else await s.c.run();
      } catch (e) {
        s.error = `warm-up failed: ${errorMessage(e)}`;
      }
    }
  }
  for (let round = 0; round < runs; round++) {
    const order = states.map((_, i) => states[(i + round) % states.length]!);
    for (const s of order) {
      if (s.error) continue;
      try {
        s.samples.push(await s.c.run());
      } catch (e) {
        s.error = `run ${round + 1} failed: ${errorMessage(e)}`;
      }
    }
  }
  const cells: CellResult[] = [];
  for (const m of row.metrics) {
    const base = {
      row: row.id,
      rowTitle: row.title,
      group: row.group,
      metric: m.id,
      metricLabel: m.label,
      unit: m.unit,
      better: m.better,
      digits: m.digits,
    };
    for (const s of states) {
      const values = s.samples.map((x) => x.values[m.id]).filter((v): v is number => typeof v === "number");
      const notes = [...new Set(s.samples.map((x) => x.note).filter((n): n is string => !!n))];
      const note = [s.error, ...notes].filter(Boolean).join("; ") || undefined;
      const cell: CellResult = {
        ...base,
        subject: s.c.subject,
        subjectLabel: s.c.label,
        ftpkit: s.c.ftpkit,
        status: values.length > 0 ? "ok" : "error",
        samples: values,
      };
      if (values.length > 0) cell.summary = summarize(values);
      if (note) cell.note = note;
      cells.push(cell);
    }
    for (const k of plan.skipped) {
      cells.push({
        ...base,
        subject: k.subject,
        subjectLabel: k.label,
        ftpkit: k.ftpkit,
        status: k.status,
        samples: [],
        note: k.reason,
      });
    }
  }
  const first = row.metrics[0]!;
  for (const s of states) {
    const sum = summarize(s.samples.map((x) => x.values[first.id] ?? Number.NaN));
    const fig =
      sum.n > 0
        ? `${fmt(sum.median, first.digits)} ${first.unit} (${fmt(sum.min, first.digits)}–${fmt(sum.max, first.digits)})`
        : "—";
    options.log(`    ${s.c.label.padEnd(28)} ${fig}${s.error ? `  [${s.error.slice(0, 160)}]` : ""}`);
  }
  for (const k of plan.skipped) options.log(`    ${k.label.padEnd(28)} ${k.status}: ${k.reason.slice(0, 140)}`);
  return cells;
}
