// cgroup v1: one directory per hierarchy (cpu, cpuacct, memory, freezer, pids, blkio — co-mounted controllers
// share one). Limits from planV1(); the kill freezes the whole subtree first so nothing can fork while it dies.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { NotFoundError } from "../../core/errors.ts";
import {
  type CgroupDriver,
  type CgroupUsage,
  type Limits,
  KILL_DEADLINE_MS,
  limitOrZero,
  parseKeyValues,
  planV1,
  validateLimits,
  validateName,
} from "./driver.ts";
import {
  killUntilEmpty,
  makeDirAsync,
  pollUntil,
  procsInTree,
  readIfExists,
  removeDirs,
  signal,
  subDirs,
  treeDeepestFirst,
  writeValue,
  writeValueAsync,
} from "./proc.ts";

/** The v1 controllers Galaxy uses, in the order describe() lists them. memory, cpu and freezer are required. */
export const V1_CONTROLLERS = ["cpu", "cpuacct", "memory", "freezer", "pids", "blkio"] as const;
export const V1_REQUIRED = ["cpu", "memory", "freezer"] as const;

export interface V1Options {
  /** controller -> mount point of its hierarchy (co-mounted controllers share a mount point) */
  mounts: ReadonlyMap<string, string>;
  killDeadlineMs?: number;
}

export class V1Driver implements CgroupDriver {
  readonly kind = "cgroup-v1" as const;
  private readonly mounts: ReadonlyMap<string, string>;
  private readonly killDeadlineMs: number;

  constructor(opts: V1Options) {
    this.mounts = new Map(V1_CONTROLLERS.filter((c) => opts.mounts.has(c)).map((c) => [c, opts.mounts.get(c)!]));
    this.killDeadlineMs = opts.killDeadlineMs ?? KILL_DEADLINE_MS;
  }

  /** The distinct hierarchy mount points used: freezer's first (a joining shell becomes freezable at once), then in controller order. */
  hierarchies(): string[] {
    const freezer = this.mounts.get("freezer");
    return [...new Set([...(freezer === undefined ? [] : [freezer]), ...this.mounts.values()])];
  }

  /** The directory of cgroup `name` in `controller`'s hierarchy, or null if that controller is not mounted. */
  dir(controller: string, name: string): string | null {
    const m = this.mounts.get(controller);
    return m === undefined ? null : join(m, validateName(name));
  }

  /** Its directory in every hierarchy. */
  dirs(name: string): string[] {
    validateName(name);
    return this.hierarchies().map((h) => join(h, name));
  }

  async create(name: string, limits: Limits): Promise<void> {
    validateLimits(limits);
    for (const d of this.dirs(name)) await makeDirAsync(d);
    for (const [file, value] of this.writes(name, limits)) await writeValueAsync(file, value);
  }

  update(name: string, limits: Limits): void {
    validateLimits(limits);
    if (!this.exists(name)) throw new NotFoundError("cgroup", name);
    for (const [file, value] of this.writes(name, limits)) writeValue(file, value);
  }

  /** The files to write, in planV1's order, with their values. */
  private writes(name: string, limits: Limits): [string, string][] {
    const out: [string, string][] = [];
    for (const w of planV1(limits)) {
      const dir = this.dir(w.controller, name);
      if (dir === null) continue;
      const file = w.file === "blkio.weight" ? blkioWeightFile(dir) : join(dir, w.file);
      if (file !== null) out.push([file, w.value]);
    }
    return out;
  }

  exists(name: string): boolean {
    return this.dirs(name).some((d) => existsSync(d));
  }

  procsFiles(name: string): string[] {
    return this.dirs(name).map((d) => join(d, "cgroup.procs"));
  }

  addProcess(name: string, pid: number): void {
    for (const f of this.procsFiles(name)) writeValue(f, String(pid));
  }

  pids(name: string): number[] {
    const all = new Set<number>();
    for (const d of this.dirs(name)) procsInTree(d, all);
    return [...all].sort((a, b) => a - b);
  }

  usage(name: string): CgroupUsage {
    if (!this.exists(name)) throw new NotFoundError("cgroup", name);
    const read = (controller: string, file: string): string | null => {
      const dir = this.dir(controller, name);
      return dir === null ? null : readIfExists(join(dir, file));
    };
    const stat = parseKeyValues(read("memory", "memory.stat") ?? "");
    const oom = parseKeyValues(read("memory", "memory.oom_control") ?? "").get("oom_kill");
    const pidsCurrent = read("pids", "pids.current");
    return {
      cpuUsageUsec: Math.floor(Number(read("cpuacct", "cpuacct.usage") ?? 0) / 1000),
      memoryRss: stat.get("total_rss") ?? stat.get("rss") ?? 0,
      memoryCache: stat.get("total_cache") ?? stat.get("cache") ?? 0,
      memoryLimit: limitOrZero(read("memory", "memory.limit_in_bytes") ?? ""),
      oomKills: oom ?? Number(read("memory", "memory.failcnt") ?? 0),
      pids: pidsCurrent !== null ? Number(pidsCurrent) : this.pids(name).length,
    };
  }

  oomCounterFile(name: string): string | null {
    const dir = this.dir("memory", name);
    return dir === null ? null : join(dir, "memory.oom_control");
  }

  /** Freeze (wait FROZEN), SIGKILL everything listed, thaw; again until no process is left. */
  async kill(name: string): Promise<void> {
    await killUntilEmpty(`kill cgroup ${name}`, () => this.pids(name), (deadline) => this.killRound(name, deadline), this.killDeadlineMs);
  }

  private async killRound(name: string, deadline: number): Promise<void> {
    const freezerDir = this.dir("freezer", name);
    const state = freezerDir === null ? null : join(freezerDir, "freezer.state");
    const frozen = state !== null && existsSync(state);
    try {
      if (frozen) {
        await writeValueAsync(state, "FROZEN"); // off the event loop, as create and remove
        // A task stuck in the kernel can hold FREEZING; after 1 s kill anyway and let the next round retry.
        await pollUntil(() => (readIfExists(state) ?? "").trim() !== "FREEZING", Math.min(deadline, Date.now() + 1000));
      }
      for (const pid of this.pids(name)) signal(pid, "SIGKILL");
    } finally {
      if (frozen && existsSync(state)) await writeValueAsync(state, "THAWED");
    }
  }

  async remove(name: string): Promise<void> {
    if (!this.exists(name)) return;
    if (this.pids(name).length > 0) await this.kill(name);
    const dirs = this.dirs(name).flatMap((d) => treeDeepestFirst(d));
    await removeDirs(`remove cgroup ${name}`, dirs, this.killDeadlineMs);
  }

  list(parent: string): string[] {
    return [...new Set(this.dirs(parent).flatMap((d) => subDirs(d)))].sort();
  }

  describe(): string {
    return `cgroup v1 (${[...this.mounts.keys()].join(", ")})`;
  }
}

/** blkio.weight (CFQ) or blkio.bfq.weight (BFQ), whichever this kernel offers; null if neither. */
function blkioWeightFile(dir: string): string | null {
  for (const f of ["blkio.weight", "blkio.bfq.weight"]) if (existsSync(join(dir, f))) return join(dir, f);
  return null;
}
