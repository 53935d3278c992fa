// Process facts from /proc: liveness with identity (pid + start time, so a recycled pid is not mistaken for ours).
import { readFileSync } from "node:fs";

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or 0 if it is gone. */
export function processStartTicks(pid: number): number {
  if (!(pid > 0)) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return 0; // a zombie is dead for our purposes
    return Number(fields[19]);
  } catch {
    return 0;
  }
}

/** True when the process with this pid is alive and is the one that started at startTicks (0: any). */
export function isAlive(pid: number, startTicks = 0): boolean {
  const t = processStartTicks(pid);
  return t > 0 && (startTicks === 0 || t === startTicks);
}

/** Sends a signal; false when the process is already gone. */
export function signal(pid: number, sig: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Polls cond every stepMs until it holds or deadlineMs passes; returns whether it held. */
export async function waitFor(cond: () => boolean, deadlineMs: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (cond()) return true;
    if (Date.now() >= end) return false;
    await Bun.sleep(stepMs);
  }
}
