// Inside a pid namespace the worker sees its tasks under namespace pids (5, 6, …); people and tools on the host (and
// `galaxy pods`) need the host's. The agent hands the worker the host's /proc (GALAXY_HOST_PROC, an inherited fd):
// the host pid of a namespace pid is the entry whose NSpid ends with it and whose pid namespace is the worker's.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** The last field of "NSpid:\t812\t5" is the pid in the innermost namespace; the first is the host's. */
export function parseNsPid(status: string): number[] {
  const line = status.split("\n").find((l) => l.startsWith("NSpid:"));
  return line ? line.slice(6).trim().split(/\s+/).map(Number) : [];
}

export function hostPidOf(localPid: number, hostProc = process.env.GALAXY_HOST_PROC): number {
  if (!hostProc || !(localPid > 0)) return localPid;
  let mine: string;
  try {
    mine = readlinkSync("/proc/self/ns/pid");
  } catch {
    return localPid;
  }
  for (const d of readdirSync(hostProc)) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ns = parseNsPid(readFileSync(`${hostProc}/${d}/status`, "utf8"));
      if (ns.length > 1 && ns[ns.length - 1] === localPid && readlinkSync(`${hostProc}/${d}/ns/pid`) === mine) return ns[0]!;
    } catch {
      /* the process went away while we looked */
    }
  }
  return localPid;
}

let own = 0;

/** This process's host pid, looked up once (each lookup scans the host's /proc); a failed lookup is tried again. */
export function ownHostPid(hostProc = process.env.GALAXY_HOST_PROC): number {
  if (own) return own;
  const pid = hostPidOf(process.pid, hostProc);
  if (!hostProc || pid !== process.pid) own = pid;
  return pid;
}

/**
 * The process a host worker's launcher (nsenter, which forks into the pid namespace and waits) runs: its first child,
 * the task itself (its shell execs setpriv, which execs the command); null until it has forked.
 */
export function launchedChild(pid: number): number | null {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/)[0];
    return first ? Number(first) : null;
  } catch {
    return null;
  }
}
