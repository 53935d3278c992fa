// "isolation: none": no cgroup, no limits. A container is a set of process groups: addProcess(name, pid) records
// pid as a group leader (its pgid must equal its pid), pids() scans /proc for live members of those groups, and kill()
// SIGKILLs the groups until no member is left. The table lives in memory: after an agent restart the agent
// re-adopts containers by calling create() and addProcess() again from its checkpoint.

import { InvalidError, NotFoundError } from "../../core/errors.ts";
import { type CgroupDriver, type CgroupUsage, type Limits, KILL_DEADLINE_MS, validateLimits, validateName } from "./driver.ts";
import { allProcesses, killUntilEmpty, procStat, readIfExists, signal } from "./proc.ts";

/** Clock ticks per second for /proc/<pid>/stat utime and stime (USER_HZ is 100 on every Linux ABI Galaxy runs on). */
const USER_HZ = 100;

export interface NoneOptions {
  /** why there is no isolation, for describe(): "not root", "forced by GALAXY_ISOLATION", … */
  reason?: string;
  killDeadlineMs?: number;
}

export class NoneDriver implements CgroupDriver {
  readonly kind = "none" as const;
  readonly reason: string;
  private readonly killDeadlineMs: number;
  /** container name -> the process group ids recorded for it */
  private readonly groups = new Map<string, Set<number>>();

  constructor(opts: NoneOptions = {}) {
    this.reason = opts.reason ?? "requested";
    this.killDeadlineMs = opts.killDeadlineMs ?? KILL_DEADLINE_MS;
  }

  async create(name: string, limits: Limits): Promise<void> {
    validateLimits(limits);
    if (!this.groups.has(validateName(name))) this.groups.set(name, new Set());
  }

  update(name: string, limits: Limits): void {
    validateLimits(limits);
    if (!this.exists(name)) throw new NotFoundError("cgroup", name);
  }

  exists(name: string): boolean {
    return this.groups.has(validateName(name));
  }

  procsFiles(name: string): string[] {
    validateName(name);
    return [];
  }

  /** Records `pid` as a process-group leader of `name` (spawn it with setsid/detached so that its pgid is its pid). */
  addProcess(name: string, pid: number): void {
    const set = this.groups.get(validateName(name));
    if (set === undefined) throw new NotFoundError("cgroup", name);
    const st = procStat(pid);
    if (st === null) throw new NotFoundError("process", String(pid));
    if (pid <= 1 || st.pgid !== pid) {
      throw new InvalidError(`process ${pid} is not a process-group leader (its pgid is ${st.pgid}): start it with setsid`);
    }
    set.add(pid);
  }

  /** The process groups of `name` and of every name below it ("a" covers "a/b"), like a cgroup subtree. */
  private pgidsOf(name: string): Set<number> {
    const prefix = `${validateName(name)}/`;
    const out = new Set<number>();
    for (const [n, set] of this.groups) if (n === name || n.startsWith(prefix)) for (const g of set) out.add(g);
    return out;
  }

  /** Members of its process groups, and processes that carry its marker (NONE_MARKER) in their environment. */
  pids(name: string): number[] {
    const pgids = this.pgidsOf(name);
    const prefix = `${name}/`;
    if (![...this.groups.keys()].some((n) => n === name || n.startsWith(prefix))) return [];
    return allProcesses()
      .filter((p) => pgids.has(p.pgid) || markedFor(p.pid, name))
      .map((p) => p.pid)
      .sort((a, b) => a - b);
  }

  /** From /proc: utime+stime, RssAnon and RssFile+RssShmem of the members; no limit, no OOM count. */
  usage(name: string): CgroupUsage {
    if (!this.exists(name)) throw new NotFoundError("cgroup", name);
    const u: CgroupUsage = { cpuUsageUsec: 0, memoryRss: 0, memoryCache: 0, memoryLimit: 0, oomKills: 0, pids: 0 };
    for (const pid of this.pids(name)) {
      const st = procStat(pid);
      const status = readIfExists(`/proc/${pid}/status`);
      if (st === null || status === null) continue;
      u.pids++;
      u.cpuUsageUsec += ((st.utimeTicks + st.stimeTicks) * 1_000_000) / USER_HZ;
      u.memoryRss += statusKb(status, "RssAnon") * 1024;
      u.memoryCache += (statusKb(status, "RssFile") + statusKb(status, "RssShmem")) * 1024;
    }
    return u;
  }

  oomCounterFile(name: string): string | null {
    validateName(name);
    return null;
  }

  /** SIGKILL to every recorded process group until none of their members is alive. */
  async kill(name: string): Promise<void> {
    const pgids = [...this.pgidsOf(name)];
    const round = async (): Promise<void> => {
      for (const pgid of pgids) signal(-pgid, "SIGKILL");
      for (const pid of this.pids(name)) signal(pid, "SIGKILL");
    };
    await killUntilEmpty(`kill process groups of ${name}`, () => this.pids(name), round, this.killDeadlineMs);
  }

  async remove(name: string): Promise<void> {
    if (this.pids(name).length > 0) await this.kill(name);
    const prefix = `${name}/`;
    for (const n of [...this.groups.keys()]) if (n === name || n.startsWith(prefix)) this.groups.delete(n);
  }

  list(parent: string): string[] {
    const prefix = `${validateName(parent)}/`;
    const children = [...this.groups.keys()].filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length).split("/")[0]!);
    return [...new Set(children)].sort();
  }

  describe(): string {
    return `isolation: none (${this.reason})`;
  }
}

/**
 * The environment variable that marks a process as a member of a container without cgroups: processes started in
 * their own sessions (a worker's tasks) leave its process group, but they inherit its environment.
 */
export const NONE_MARKER = "GALAXY_CGROUP_NAME";

function markedFor(pid: number, name: string): boolean {
  let env: string | null = null;
  try {
    env = readIfExists(`/proc/${pid}/environ`);
  } catch {
    return false; // another user's process
  }
  if (env === null) return false;
  const tag = `${NONE_MARKER}=${name}`;
  return env.split("\0").some((e) => e === tag || e.startsWith(`${tag}/`));
}

function statusKb(status: string, key: string): number {
  const m = status.match(new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, "m"));
  return m ? Number(m[1]) : 0;
}
