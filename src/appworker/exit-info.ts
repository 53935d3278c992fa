// Why a task's process ended, beyond its exit status: the OOM killer (the memory cgroup's oom_kill counter moved
// while it ran) and core dumps (a core file appeared in its working directory).
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Signals whose default action dumps core. */
const CORE_SIGNALS = new Set(["SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGSEGV", "SIGSYS", "SIGXCPU", "SIGXFSZ"]);

/** The oom_kill count of this process's memory cgroup (v1 memory.oom_control or v2 memory.events; the agent names
 * the file in GALAXY_OOM_COUNTER); 0 if unknown. */
export function oomKills(pid: number | "self" = "self", named = process.env.GALAXY_OOM_COUNTER): number {
  try {
    if (named && pid === "self") {
      const m = /^oom_kill (\d+)$/m.exec(readFileSync(named, "utf8"));
      if (m) return Number(m[1]);
    }
    const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n");
    const v1 = lines.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
    const files = v1
      ? [`/sys/fs/cgroup/memory${v1.split(":").slice(2).join(":")}/memory.oom_control`]
      : lines.filter((l) => l.startsWith("0::")).map((l) => `/sys/fs/cgroup${l.slice(3)}/memory.events`);
    for (const f of files) {
      const m = /^oom_kill (\d+)$/m.exec(readFileSync(f, "utf8"));
      if (m) return Number(m[1]);
    }
  } catch {
    // no cgroup information: OOM kills cannot be told apart
  }
  return 0;
}

/** A core file from this process (core or core.<pid> in its working directory, written since it started). */
export function coreDumped(signal: string, cwd: string, pid: number, startedAt: number): boolean {
  if (!CORE_SIGNALS.has(signal)) return false;
  for (const name of ["core", `core.${pid}`]) {
    const f = join(cwd, name);
    if (existsSync(f) && statSync(f).mtimeMs >= startedAt - 1000) return true;
  }
  return false;
}
