/** Timing helpers for the workers: wall clock (hrtime) and this process's CPU time. */
import { Writable } from "node:stream";

export interface Measured<T> {
  value: T;
  seconds: number;
  cpuSeconds: number;
}

export async function measure<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { value, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** A Writable that drops everything at once (the "discarding sink"); counts bytes. */
export function discardSink(): Writable & { bytes: number } {
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      sink.bytes += chunk.length;
      cb();
    },
    writev(chunks, cb) {
      for (const c of chunks) sink.bytes += (c.chunk as Buffer).length;
      cb();
    },
  }) as Writable & { bytes: number };
  sink.bytes = 0;
  return sink;
}
