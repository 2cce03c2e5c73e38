/** What a row measures, what a run returns, and what the report holds. */
import type { Summary } from "./stats.js";

export interface Metric {
  id: string;
  label: string;
  unit: string;
  better: "higher" | "lower";
  digits: number;
  /** Compute ftpkit ÷ peer ratios for this metric (default true). */
  ratios?: boolean;
}

/** A target of the issue: against a peer (ratio ftpkit ÷ peer) or absolute (the ftpkit figure itself). */
export interface Target {
  metric: string;
  /** Peer subject name; undefined: the ftpkit value itself. */
  versus?: string;
  op: ">=" | "<=";
  value: number;
  text: string;
}

export interface Sample {
  values: Record<string, number>;
  note?: string;
}

/** One subject in one row. */
export interface Case {
  subject: string;
  label: string;
  ftpkit: boolean;
  run(): Promise<Sample>;
  /** Warm-up run (default: run() with the sample dropped). */
  warmup?(): Promise<void>;
}

export type SkipStatus = "waiting" | "unavailable" | "n/a" | "error";

export interface Skip {
  subject: string;
  label: string;
  ftpkit: boolean;
  status: SkipStatus;
  reason: string;
}

export interface RowPlan {
  cases: Case[];
  skipped: Skip[];
  /** Notes for the whole row (e.g. which server the clients talk to). */
  note?: string;
}

export interface RowDef {
  id: string;
  group: string;
  title: string;
  metrics: Metric[];
  targets?: Target[];
  /** Override the profile's runs/warm-ups for this row. */
  runs?: number;
  warmups?: number;
  plan(): Promise<RowPlan>;
}

export interface CellResult {
  row: string;
  rowTitle: string;
  group: string;
  metric: string;
  metricLabel: string;
  unit: string;
  better: "higher" | "lower";
  digits: number;
  subject: string;
  subjectLabel: string;
  ftpkit: boolean;
  status: "ok" | SkipStatus;
  samples: number[];
  summary?: Summary;
  note?: string;
}

export interface RatioResult {
  row: string;
  rowTitle: string;
  group: string;
  metric: string;
  metricLabel: string;
  better: "higher" | "lower";
  subject: string;
  peer: string;
  /** ftpkit median ÷ peer median. */
  ratio: number;
  /** > 1 means ftpkit is better (ratio for higher-is-better metrics, 1/ratio otherwise). */
  advantage: number;
  target?: Target;
  met?: boolean;
}

export interface AbsoluteCheck {
  row: string;
  rowTitle: string;
  metric: string;
  subject: string;
  value: number;
  target: Target;
  met: boolean;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  profile: Record<string, unknown>;
  machine: Record<string, string | number>;
  subjects: Record<string, string>;
  notes: string[];
  cells: CellResult[];
  ratios: RatioResult[];
  absolute: AbsoluteCheck[];
}
