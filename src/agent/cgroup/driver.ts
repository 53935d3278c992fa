// The isolation driver interface every container backend implements (cgroup v1, cgroup v2, none), plus the pure
// arithmetic that turns Limits into the values the kernel files take. No I/O in this file.

import { InvalidError } from "../../core/errors.ts";

export type IsolationKind = "cgroup-v1" | "cgroup-v2" | "none";
export const ISOLATION_KINDS: readonly IsolationKind[] = ["cgroup-v1", "cgroup-v2", "none"];

export interface Limits {
  /** cpu: CFS quota = millicores/1000 * period (period 100000us); when cpuExcess, shares/weight instead of quota */
  millicores: number;
  cpuExcess: boolean;
  /** with cpuExcess: the CFS quota (millicores) the soft-limit controller currently allows; absent = no quota */
  cpuCeiling?: number;
  /** bytes; hard limit, or when memoryExcess: soft limit (v1 memory.soft_limit_in_bytes, v2 memory.high) */
  memory: number;
  memoryExcess: boolean;
  /** hard limit when memoryExcess (default: 2x memory) */
  memoryCeiling?: number;
  /** pids.max (default 4096) */
  pids?: number;
  /** v1 blkio.weight / v2 io.weight, if the controller exists (skipped silently if not: see cannotEnforce) */
  ioWeight?: number;
  /** Block io throttles on each device ("MAJ:MIN") that holds the container's files (v1 blkio.throttle.*, v2 io.max). */
  ioThrottle?: IoThrottle;
}

export interface IoThrottle {
  devices: string[];
  readBps: number;
  writeBps: number;
  readIops: number;
  writeIops: number;
}

/** v1's throttle files, each taking "MAJ:MIN VALUE" (one device per write), for the throttle's nonzero fields. */
export function planV1Throttle(t: IoThrottle | undefined): FileWrite[] {
  if (!t) return [];
  const w: FileWrite[] = [];
  const fields = [["read_bps", t.readBps], ["write_bps", t.writeBps], ["read_iops", t.readIops], ["write_iops", t.writeIops]] as const;
  for (const dev of t.devices) {
    for (const [f, v] of fields) if (v > 0) w.push({ controller: "blkio", file: `blkio.throttle.${f}_device`, value: `${dev} ${v}` });
  }
  return w;
}

/** v2's io.max line per device: "MAJ:MIN rbps=N wbps=max riops=max wiops=max". */
export function planV2Throttle(t: IoThrottle | undefined): FileWrite[] {
  if (!t || !(t.readBps || t.writeBps || t.readIops || t.writeIops)) return [];
  const v = (n: number) => (n > 0 ? String(n) : "max");
  return t.devices.map((dev) => ({
    controller: "io", file: "io.max",
    value: `${dev} rbps=${v(t.readBps)} wbps=${v(t.writeBps)} riops=${v(t.readIops)} wiops=${v(t.writeIops)}`,
  }));
}

export interface CgroupUsage {
  cpuUsageUsec: number;
  memoryRss: number;
  memoryCache: number;
  /** the hard memory limit in bytes; 0 when there is none */
  memoryLimit: number;
  oomKills: number;
  pids: number;
}

export interface CgroupDriver {
  readonly kind: IsolationKind;
  /**
   * Creates (or adopts, if it exists) cgroup `name` (a relative path like "galaxy/agent-1/web.0") and writes limits,
   * off the event loop (mkdir and writes on the thread pool: a kernel cgroup lock must not stall the agent).
   */
  create(name: string, limits: Limits): Promise<void>;
  update(name: string, limits: Limits): void;
  exists(name: string): boolean;
  /** The files a shell must write its own pid ($$) into to join the cgroup before exec (one per v1 hierarchy used; one for v2; [] for none). */
  procsFiles(name: string): string[];
  addProcess(name: string, pid: number): void;
  /** Every live process in it, sub-cgroups included, ascending (for "none": the members of the tracked process groups). */
  pids(name: string): number[];
  usage(name: string): CgroupUsage;
  /** The file whose `oom_kill N` line counts the cgroup's OOM kills (v1 memory.oom_control, v2 memory.events); null for none. */
  oomCounterFile(name: string): string | null;
  /** Kills every process so none escapes; resolves when none is left (deadline 10 s -> throws). See README.md. */
  kill(name: string): Promise<void>;
  /** rmdir (off the event loop) the cgroup and its sub-cgroups in every hierarchy, killing first if not empty. Missing is fine. */
  remove(name: string): Promise<void>;
  /** Children names (base names, sorted) under a parent, for sweeping leftovers after a crash; [] if it is missing. */
  list(parent: string): string[];
  /** Human-readable note, e.g. "cgroup v1 (cpu, cpuacct, memory, freezer, pids)" or "isolation: none (not root)". */
  describe(): string;
}

export const CFS_PERIOD_US = 100_000;
/** The kernel refuses a CFS quota below 1 ms. */
export const MIN_CFS_QUOTA_US = 1_000;
export const DEFAULT_PIDS_MAX = 4096;
export const KILL_DEADLINE_MS = 10_000;

/** Rejects a cgroup name that could reach outside the caller's subtree ("", absolute, "..", empty segments). */
export function validateName(name: string): string {
  const segments = name.split("/");
  const bad = name === "" || segments.some((s) => s === "" || s === "." || s === ".." || s.includes("\0"));
  if (bad) throw new InvalidError(`bad cgroup name ${JSON.stringify(name)}: want a relative path like "galaxy/agent-1/web.0"`);
  return name;
}

export function validateLimits(l: Limits): Limits {
  const check = (what: string, v: number | undefined, min: number): void => {
    if (v === undefined) return;
    if (!Number.isFinite(v) || !Number.isInteger(v) || v < min) {
      throw new InvalidError(`bad cgroup limit ${what}=${v}: want an integer >= ${min}`);
    }
  };
  check("millicores", l.millicores, 1);
  check("cpuCeiling", l.cpuCeiling, 1);
  check("memory", l.memory, 1);
  check("memoryCeiling", l.memoryCeiling, 1);
  check("pids", l.pids, 1);
  check("ioWeight", l.ioWeight, 1);
  if (l.memoryCeiling !== undefined && l.memoryCeiling < l.memory) {
    throw new InvalidError(`bad cgroup limit: memoryCeiling ${l.memoryCeiling} is below memory ${l.memory}`);
  }
  return l;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** CFS quota in microseconds per CFS_PERIOD_US: millicores * 100 (at least 1 ms). */
export function cpuQuotaUs(millicores: number): number {
  return Math.max(MIN_CFS_QUOTA_US, Math.round((millicores * CFS_PERIOD_US) / 1000));
}

/** v1 cpu.shares: 1024 per core, within the kernel's [2, 262144]. */
export function cpuShares(millicores: number): number {
  return clamp(Math.round((millicores * 1024) / 1000), 2, 262_144);
}

/** v2 cpu.weight: 100 (the kernel default) per core, within [1, 10000]. */
export function cpuWeight(millicores: number): number {
  return clamp(Math.round(millicores / 10), 1, 10_000);
}

/** The CFS quota in microseconds, or null for none (excess without a ceiling from the soft-limit controller). */
export function cfsQuota(l: Limits): number | null {
  if (!l.cpuExcess) return cpuQuotaUs(l.millicores);
  return l.cpuCeiling === undefined ? null : cpuQuotaUs(l.cpuCeiling);
}

/** The hard limit and the soft limit (null = none) in bytes. */
export function memoryLimits(l: Limits): { hard: number; soft: number | null } {
  if (!l.memoryExcess) return { hard: l.memory, soft: null };
  return { hard: l.memoryCeiling ?? 2 * l.memory, soft: l.memory };
}

export function pidsMax(l: Limits): number {
  return l.pids ?? DEFAULT_PIDS_MAX;
}

/** One value to write: `file` inside the cgroup directory of `controller`'s hierarchy. */
export interface FileWrite {
  controller: string;
  file: string;
  value: string;
}

/** What v1 writes, in order (period before quota). ioWeight goes to blkio.weight or blkio.bfq.weight, whichever exists. */
export function planV1(l: Limits): FileWrite[] {
  const mem = memoryLimits(l);
  const w: FileWrite[] = [
    { controller: "cpu", file: "cpu.cfs_period_us", value: String(CFS_PERIOD_US) },
    { controller: "cpu", file: "cpu.cfs_quota_us", value: String(cfsQuota(l) ?? -1) },
    { controller: "cpu", file: "cpu.shares", value: String(cpuShares(l.millicores)) },
    { controller: "memory", file: "memory.limit_in_bytes", value: String(mem.hard) },
    { controller: "memory", file: "memory.soft_limit_in_bytes", value: mem.soft === null ? "-1" : String(mem.soft) },
    { controller: "pids", file: "pids.max", value: String(pidsMax(l)) },
  ];
  if (l.ioWeight !== undefined) w.push({ controller: "blkio", file: "blkio.weight", value: String(clamp(l.ioWeight, 10, 1000)) });
  w.push(...planV1Throttle(l.ioThrottle));
  return w;
}

/** What v2 writes, in order. */
export function planV2(l: Limits): FileWrite[] {
  const mem = memoryLimits(l);
  const w: FileWrite[] = [
    { controller: "cpu", file: "cpu.max", value: `${cfsQuota(l) ?? "max"} ${CFS_PERIOD_US}` },
    { controller: "cpu", file: "cpu.weight", value: String(cpuWeight(l.millicores)) },
    { controller: "memory", file: "memory.max", value: String(mem.hard) },
    { controller: "memory", file: "memory.high", value: mem.soft === null ? "max" : String(mem.soft) },
    { controller: "pids", file: "pids.max", value: String(pidsMax(l)) },
  ];
  if (l.ioWeight !== undefined) w.push({ controller: "io", file: "io.weight", value: `default ${clamp(l.ioWeight, 1, 10_000)}` });
  w.push(...planV2Throttle(l.ioThrottle));
  return w;
}

/** Parses "key value" lines (memory.stat, cpu.stat, cgroup.events, memory.events, memory.oom_control). */
export function parseKeyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/** A v1 "unlimited" is PAGE_COUNTER_MAX * page size (~2^63); report it as 0 (no limit). */
export function limitOrZero(raw: string): number {
  const t = raw.trim();
  if (t === "max" || t === "" || t === "-1") return 0;
  const n = Number(t);
  return Number.isFinite(n) && n < 2 ** 62 ? n : 0;
}
