// Usage: per container, cpu in millicores from cgroup cpu-time deltas, run-queue wait (for the cpu controller) and
// memory from the cgroup's counters; for the host, cpu from /proc/stat deltas and memory from /proc/meminfo.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Usage } from "../rpc/types.ts";
import type { CgroupDriver, CgroupUsage } from "./cgroup/driver.ts";

export interface ContainerSample {
  usage: Usage;
  /** millicores spent runnable but waiting for a cpu */
  waitMillicores: number;
  oomKills: number;
  memoryLimit: number;
  /** processes in its cgroup */
  pids: number;
}

interface Last {
  cpuUsec: number;
  waitNs: number;
  at: number;
  sample: ContainerSample;
}

const EMPTY: CgroupUsage = { cpuUsageUsec: 0, memoryRss: 0, memoryCache: 0, memoryLimit: 0, oomKills: 0, pids: 0 };

/** millicores = (delta µs of cpu) / (delta ms of wall time). */
export function millicoresOf(deltaUsec: number, deltaMs: number): number {
  return deltaMs > 0 ? Math.max(0, Math.round(deltaUsec / deltaMs)) : 0;
}

export class UsageMeter {
  private readonly last = new Map<string, Last>();

  /** Samples a container now; the rates are over the time since its previous sample. */
  sample(id: string, driver: CgroupDriver, cgroup: string, now: number, disk = 0): ContainerSample {
    let u = EMPTY;
    let waitNs = 0;
    try {
      u = driver.usage(cgroup);
      waitNs = runDelayNs(driver.pids(cgroup));
    } catch {
      /* gone: zeros */
    }
    const prev = this.last.get(id);
    const dt = prev ? now - prev.at : 0;
    const sample: ContainerSample = {
      usage: {
        millicores: prev && dt > 0 ? millicoresOf(u.cpuUsageUsec - prev.cpuUsec, dt) : (prev?.sample.usage.millicores ?? 0),
        memoryRss: u.memoryRss, memoryCache: u.memoryCache, disk, at: now,
      },
      waitMillicores: prev && dt > 0 ? millicoresOf((waitNs - prev.waitNs) / 1000, dt) : 0,
      oomKills: u.oomKills,
      memoryLimit: u.memoryLimit,
      pids: u.pids,
    };
    this.last.set(id, { cpuUsec: u.cpuUsageUsec, waitNs, at: now, sample });
    return sample;
  }

  /** The last sample (zeros before the first). */
  latest(id: string, now: number): ContainerSample {
    return this.last.get(id)?.sample ?? { usage: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: now }, waitMillicores: 0, oomKills: 0, memoryLimit: 0, pids: 0 };
  }

  forget(id: string): void {
    this.last.delete(id);
  }
}

/** Sum of the run-queue wait (ns, field 2 of /proc/<pid>/schedstat) of processes; vanished ones count 0. */
export function runDelayNs(pids: readonly number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[1]) || 0;
    } catch {
      /* exited */
    }
  }
  return sum;
}

/** /proc/stat's first line: total and idle (idle + iowait) jiffies. */
export function parseProcStatCpu(text: string): { total: number; idle: number } {
  const f = (text.split("\n").find((l) => l.startsWith("cpu ")) ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((s, v) => s + (v || 0), 0);
  return { total, idle: (f[3] ?? 0) + (f[4] ?? 0) };
}

/** /proc/meminfo in bytes: MemTotal, MemAvailable, and Cached + Buffers. */
export function parseMeminfo(text: string): { total: number; available: number; cache: number } {
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0) * 1024;
  return { total: kb("MemTotal"), available: kb("MemAvailable"), cache: kb("Cached") + kb("Buffers") };
}

export interface HostSample {
  /** millicores busy and idle over the interval, on the machine's cores */
  busy: number;
  idle: number;
  cores: number;
  memory: { total: number; available: number; cache: number };
}

/** The machine's cpu and memory; cpu rates are over the time since the previous sample. */
export class HostMeter {
  private prev: { total: number; idle: number } | null = null;
  readonly cores = availableParallelism() * 1000;

  sample(): HostSample {
    const now = parseProcStatCpu(readFileSync("/proc/stat", "utf8"));
    const memory = parseMeminfo(readFileSync("/proc/meminfo", "utf8"));
    const p = this.prev;
    this.prev = now;
    const dTotal = p ? now.total - p.total : 0;
    const idleFrac = dTotal > 0 ? (now.idle - p!.idle) / dTotal : 1;
    const idle = Math.round(this.cores * Math.min(1, Math.max(0, idleFrac)));
    return { busy: this.cores - idle, idle, cores: this.cores, memory };
  }
}
