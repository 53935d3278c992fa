// cgroup v2: one unified directory per cgroup. Controllers are enabled top-down in each ancestor's
// cgroup.subtree_control (only those the ancestor offers in cgroup.controllers); limits from planV2() are written
// only for controllers the leaf actually has. Kill: cgroup.kill when the kernel has it, else freeze + SIGKILL.

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
  planV2,
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

/** The v2 controllers Galaxy enables when offered. */
export const V2_CONTROLLERS = ["cpu", "memory", "pids", "io"] as const;

export interface V2Options {
  /** the directory of the cgroup2 hierarchy (a mount point or a delegated sub-tree) under which names live */
  root: string;
  killDeadlineMs?: number;
  /** false: always use the freeze + SIGKILL path even where cgroup.kill exists (tests exercise both) */
  useKillFile?: boolean;
}

function words(text: string | null): string[] {
  return (text ?? "").split(/\s+/).filter((w) => w !== "");
}

export class V2Driver implements CgroupDriver {
  readonly kind = "cgroup-v2" as const;
  readonly root: string;
  private readonly killDeadlineMs: number;
  private readonly useKillFile: boolean;

  constructor(opts: V2Options) {
    this.root = opts.root;
    this.killDeadlineMs = opts.killDeadlineMs ?? KILL_DEADLINE_MS;
    this.useKillFile = opts.useKillFile ?? true;
  }

  dir(name: string): string {
    return join(this.root, validateName(name));
  }

  dirs(name: string): string[] {
    return [this.dir(name)];
  }

  /** The Galaxy controllers a cgroup (default: the root) offers to its children, per its cgroup.controllers. */
  controllers(name?: string): string[] {
    const dir = name === undefined ? this.root : this.dir(name);
    const offered = words(readIfExists(join(dir, "cgroup.controllers")));
    return V2_CONTROLLERS.filter((c) => offered.includes(c));
  }

  /** Enables in dir's subtree_control every Galaxy controller it offers and has not enabled; returns whether it wrote. */
  private async maybeEnableControllers(dir: string): Promise<boolean> {
    const offered = words(readIfExists(join(dir, "cgroup.controllers")));
    const enabled = words(readIfExists(join(dir, "cgroup.subtree_control")));
    const missing = V2_CONTROLLERS.filter((c) => offered.includes(c) && !enabled.includes(c));
    if (missing.length === 0) return false;
    await writeValueAsync(join(dir, "cgroup.subtree_control"), missing.map((c) => `+${c}`).join(" "));
    return true;
  }

  async create(name: string, limits: Limits): Promise<void> {
    validateLimits(limits);
    const segments = validateName(name).split("/");
    for (let i = 0; i < segments.length; i++) {
      const parent = join(this.root, ...segments.slice(0, i));
      await this.maybeEnableControllers(parent);
      await makeDirAsync(join(parent, segments[i]!));
    }
    for (const [file, value] of this.writes(name, limits)) await writeValueAsync(file, value);
  }

  update(name: string, limits: Limits): void {
    validateLimits(limits);
    if (!this.exists(name)) throw new NotFoundError("cgroup", name);
    for (const [file, value] of this.writes(name, limits)) writeValue(file, value);
  }

  /** The files to write, in planV2's order (controllers the cgroup has), with their values. */
  private writes(name: string, limits: Limits): [string, string][] {
    const dir = this.dir(name);
    const have = words(readIfExists(join(dir, "cgroup.controllers")));
    const out: [string, string][] = [];
    for (const w of planV2(limits)) {
      if (!have.includes(w.controller)) continue;
      const file = w.file === "io.weight" ? ioWeightFile(dir) : join(dir, w.file);
      if (file !== null) out.push([file, w.value]);
    }
    return out;
  }

  exists(name: string): boolean {
    return existsSync(this.dir(name));
  }

  procsFiles(name: string): string[] {
    return [join(this.dir(name), "cgroup.procs")];
  }

  addProcess(name: string, pid: number): void {
    writeValue(join(this.dir(name), "cgroup.procs"), String(pid));
  }

  pids(name: string): number[] {
    const all = new Set<number>();
    procsInTree(this.dir(name), all);
    return [...all].sort((a, b) => a - b);
  }

  usage(name: string): CgroupUsage {
    if (!this.exists(name)) throw new NotFoundError("cgroup", name);
    const read = (file: string): string | null => readIfExists(join(this.dir(name), file));
    const stat = parseKeyValues(read("memory.stat") ?? "");
    const pidsCurrent = read("pids.current");
    return {
      cpuUsageUsec: parseKeyValues(read("cpu.stat") ?? "").get("usage_usec") ?? 0,
      memoryRss: stat.get("anon") ?? 0,
      memoryCache: stat.get("file") ?? 0,
      memoryLimit: limitOrZero(read("memory.max") ?? ""),
      oomKills: parseKeyValues(read("memory.events") ?? "").get("oom_kill") ?? 0,
      pids: pidsCurrent !== null ? Number(pidsCurrent) : this.pids(name).length,
    };
  }

  oomCounterFile(name: string): string | null {
    return join(this.dir(name), "memory.events");
  }

  async kill(name: string): Promise<void> {
    await killUntilEmpty(`kill cgroup ${name}`, () => this.pids(name), (deadline) => this.killRound(name, deadline), this.killDeadlineMs);
  }

  /** One round: cgroup.kill (the kernel kills the whole subtree atomically), or freeze, SIGKILL all, thaw. */
  private async killRound(name: string, deadline: number): Promise<void> {
    const dir = this.dir(name);
    if (this.useKillFile && existsSync(join(dir, "cgroup.kill"))) {
      await writeValueAsync(join(dir, "cgroup.kill"), "1"); // off the event loop, as create and remove
      return;
    }
    const freeze = join(dir, "cgroup.freeze");
    const canFreeze = existsSync(freeze);
    try {
      if (canFreeze) {
        await writeValueAsync(freeze, "1");
        const frozen = (): boolean => parseKeyValues(readIfExists(join(dir, "cgroup.events")) ?? "").get("frozen") === 1;
        await pollUntil(frozen, Math.min(deadline, Date.now() + 1000));
      }
      for (const pid of this.pids(name)) signal(pid, "SIGKILL");
    } finally {
      if (canFreeze && existsSync(freeze)) await writeValueAsync(freeze, "0");
    }
  }

  async remove(name: string): Promise<void> {
    if (!this.exists(name)) return;
    if (this.pids(name).length > 0) await this.kill(name);
    await removeDirs(`remove cgroup ${name}`, treeDeepestFirst(this.dir(name)), this.killDeadlineMs);
  }

  list(parent: string): string[] {
    return subDirs(this.dir(parent));
  }

  describe(): string {
    const c = this.controllers();
    const note = c.length > 0 ? c.join(", ") : "no cpu/memory/pids/io controller available: limits not enforced";
    return `cgroup v2 at ${this.root} (${note})`;
  }
}

/** io.weight (iocost) or io.bfq.weight (BFQ), whichever this kernel offers; null if neither. */
function ioWeightFile(dir: string): string | null {
  for (const f of ["io.weight", "io.bfq.weight"]) if (existsSync(join(dir, f))) return join(dir, f);
  return null;
}
