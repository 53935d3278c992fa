// What Galaxy costs on a host beside the tasks it runs, from /proc: every process under the agents (their
// descendants), classed as a task (its command line is one the bench started), per-container overhead (it carries
// GALAXY_CONTAINER_ID or sits in a container's cgroup: init, wrappers, a per-container worker) or per-host (the agent
// and whatever it runs for every container at once). Pure helpers over snapshots; hostSnapshot() reads /proc.
import { readdirSync, readFileSync } from "node:fs";

export interface ProcSample {
  pid: number;
  ppid: number;
  cmdline: string;
  /** GALAXY_CONTAINER_ID from the environment, or the container named by its memory cgroup, or "" */
  container: string;
  /** proportional set size, bytes */
  pss: number;
  /** user + system cpu, clock ticks */
  ticks: number;
}

export type ProcClass = "task" | "container" | "host";

/** pid -> class for every descendant of `roots` (the roots themselves are "host"). */
export function classify(procs: readonly ProcSample[], roots: readonly number[], isTask: (cmdline: string) => boolean): Map<number, ProcClass> {
  const children = new Map<number, ProcSample[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out = new Map<number, ProcClass>();
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const visit = (pid: number, underTask: boolean) => {
    const p = byPid.get(pid);
    if (!p) return;
    const task = underTask || (!roots.includes(pid) && isTask(p.cmdline));
    out.set(pid, roots.includes(pid) ? "host" : task ? "task" : p.container ? "container" : "host");
    for (const c of children.get(pid) ?? []) visit(c.pid, task);
  };
  for (const r of roots) visit(r, false);
  return out;
}

export interface Overhead {
  containers: number;
  /** Galaxy's own PSS per container (init, wrappers, worker), bytes */
  pssPerContainer: number;
  /** the agents and their per-host helpers, bytes, per agent */
  pssPerHost: number;
  /** the tasks' PSS per container, for scale */
  taskPssPerContainer: number;
  /** Galaxy's cpu per container over the window, % of one core */
  idleCpuPerContainerPct: number;
  /** the agents' (and per-host helpers') cpu over the window, % of one core, per agent */
  idleCpuPerHostPct: number;
}

/** The overhead between two snapshots of the same processes, `seconds` apart. */
export function overhead(before: readonly ProcSample[], after: readonly ProcSample[], roots: readonly number[], isTask: (c: string) => boolean, seconds: number, ticksPerSec = 100): Overhead {
  const cls = classify(after, roots, isTask);
  const prev = new Map(before.map((p) => [`${p.pid}:${p.cmdline}`, p.ticks]));
  const containers = new Set(after.filter((p) => cls.get(p.pid) !== undefined && p.container).map((p) => p.container)).size;
  let pssC = 0, pssH = 0, pssT = 0, ticksC = 0, ticksH = 0;
  for (const p of after) {
    const c = cls.get(p.pid);
    if (!c) continue;
    const dt = p.ticks - (prev.get(`${p.pid}:${p.cmdline}`) ?? p.ticks);
    if (c === "task") pssT += p.pss;
    else if (c === "container") (pssC += p.pss), (ticksC += dt);
    else (pssH += p.pss), (ticksH += dt);
  }
  const per = (v: number) => (containers ? v / containers : 0);
  const cpuPct = (ticks: number) => (ticks / ticksPerSec / seconds) * 100;
  return {
    containers,
    pssPerContainer: per(pssC),
    pssPerHost: pssH / Math.max(1, roots.length),
    taskPssPerContainer: per(pssT),
    idleCpuPerContainerPct: per(cpuPct(ticksC)),
    idleCpuPerHostPct: cpuPct(ticksH) / Math.max(1, roots.length),
  };
}

/** `GALAXY_CONTAINER_ID=...` from an environ file's text (NUL separated). */
export function containerOfEnviron(environ: string): string {
  for (const kv of environ.split("\0")) if (kv.startsWith("GALAXY_CONTAINER_ID=")) return kv.slice("GALAXY_CONTAINER_ID=".length);
  return "";
}

/** The container a /proc/<pid>/cgroup text names: the path component after `galaxy/<agent key>/` (after `_workers/`
 * for a per-container worker's cgroup), or "" (none, or the host worker's `_worker`). */
export function containerOfCgroup(text: string): string {
  const m = /(?:^|\n)[^\n]*:\/galaxy\/[^/\n]+\/([^/\n]+)(?:\/([^/\n]+))?/.exec(text);
  if (!m || m[1] === "_worker") return ""; // the host worker's: per host
  return m[1] === "_workers" ? (m[2] ?? "") : m[1]!; // a per-container worker's: its container's
}

/** utime + stime (clock ticks) from a /proc/<pid>/stat line. */
export function ticksOfStat(stat: string): { ppid: number; ticks: number } {
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
}

/** Pss in bytes from /proc/<pid>/smaps_rollup. */
export function pssOf(rollup: string): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(rollup);
  return m ? Number(m[1]) * 1024 : 0;
}

const read = (path: string): string => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
};

/** Every process on the host (root needed for others' smaps and environ). */
export function hostSnapshot(): ProcSample[] {
  const out: ProcSample[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    if (!stat) continue;
    const { ppid, ticks } = ticksOfStat(stat);
    const cmdline = read(`/proc/${name}/cmdline`).replaceAll("\0", " ").trim();
    const container = containerOfEnviron(read(`/proc/${name}/environ`)) || containerOfCgroup(read(`/proc/${name}/cgroup`));
    out.push({ pid: Number(name), ppid, cmdline, container, pss: pssOf(read(`/proc/${name}/smaps_rollup`)), ticks });
  }
  return out;
}
