import type { Metric } from "../measure/model.js";

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export const RATE: Metric = { id: "rate", label: "throughput", unit: "MB/s", better: "higher", digits: 0 };
export const SERVER_CPU: Metric = { id: "cpu", label: "server CPU", unit: "CPU s/GiB", better: "lower", digits: 2 };
export const CLIENT_CPU: Metric = { id: "cpu", label: "client CPU", unit: "CPU s/GiB", better: "lower", digits: 2 };
export const TIME: Metric = { id: "time", label: "time", unit: "s", better: "lower", digits: 3 };
export const FAILED: Metric = {
  id: "failed",
  label: "failed sessions",
  unit: "sessions",
  better: "lower",
  digits: 0,
  ratios: false,
};
export const MEMORY: Metric = {
  id: "mem",
  label: "memory above idle",
  unit: "MiB per 1,000 sessions",
  better: "lower",
  digits: 1,
};
export const IDLE_RSS: Metric = {
  id: "idle",
  label: "idle memory (no session)",
  unit: "MiB",
  better: "lower",
  digits: 1,
  ratios: false,
};
