// Small numeric helpers for the benchmarks: percentiles, medians, rates, and the machine a figure was taken on.
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg, totalmem } from "node:os";

/** The p-th percentile (0..100) of the values by nearest rank; 0 for an empty list. Does not modify `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  let sum = 0;
  let max = 0;
  for (const v of values) {
    sum += v;
    if (v > max) max = v;
  }
  return { count: n, p50: percentile(values, 50), p99: percentile(values, 99), max, mean: n ? sum / n : 0 };
}

/** Rounds for display and JSON (figures are not more precise than this). */
export function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export interface MachineInfo {
  nproc: number;
  model: string;
  memoryGiB: number;
  bun: string;
  date: string;
  /** 1-minute load average when the benchmark started: other work on the machine skews every figure. */
  load1: number;
}

export function machineInfo(now = new Date()): MachineInfo {
  let model = "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) model = m[1]!.trim();
  } catch {
    // not Linux: leave unknown
  }
  return { nproc: availableParallelism(), model, memoryGiB: round(totalmem() / 2 ** 30, 1), bun: Bun.version, date: now.toISOString(), load1: round(loadavg()[0]!, 2) };
}

/** Resident set size of a process in bytes (VmRSS from /proc/<pid>/status), or 0 when unknown. */
export function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s*(\d+)\s*kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Peak resident set size (VmHWM) of a process in bytes, or 0 when unknown. */
export function peakRssOf(pid: number): number {
  try {
    const m = /^VmHWM:\s*(\d+)\s*kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export const wallMs = (): number => performance.timeOrigin + performance.now();
