// Small I/O helpers shared by the drivers: cgroup file reads/writes with useful errors, /proc scanning, signalling,
// and polling a condition against a deadline.

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GalaxyError } from "../../core/errors.ts";

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? String(e);
}

export function readText(file: string): string {
  return readFileSync(file, "utf8");
}

/** Reads a file, or returns null if it does not exist (the cgroup or the controller is gone). */
export function readIfExists(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    if (errno(e) === "ENOENT" || errno(e) === "ENODEV") return null;
    throw e;
  }
}

export function writeValue(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch (e) {
    throw new GalaxyError("INTERNAL", `cannot write ${JSON.stringify(value)} to ${file}: ${errno(e)}`, {
      file,
      value,
      errno: errno(e),
    });
  }
}

/**
 * Off the event loop (fs.promises run on the thread pool): a cgroup mkdir, rmdir or limit write can wait on the
 * kernel's cgroup lock (v1 cgroup_rmdir holds it for long under churn), and the agent's heartbeat must not wait too.
 */
export async function writeValueAsync(file: string, value: string): Promise<void> {
  try {
    await writeFile(file, value);
  } catch (e) {
    throw new GalaxyError("INTERNAL", `cannot write ${JSON.stringify(value)} to ${file}: ${errno(e)}`, { file, value, errno: errno(e) });
  }
}

/** mkdir -p off the event loop (see writeValueAsync). */
export async function makeDirAsync(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new GalaxyError("INTERNAL", `cannot create cgroup ${dir}: ${errno(e)}`, { dir, errno: errno(e) });
  }
}

/** rmdir off the event loop; true when the directory is gone (including "was never there"), false when the kernel says busy. */
export async function removeDir(dir: string): Promise<boolean> {
  try {
    await rmdir(dir);
    return true;
  } catch (e) {
    const code = errno(e);
    if (code === "ENOENT") return true;
    if (code === "EBUSY" || code === "ENOTEMPTY") return false;
    throw new GalaxyError("INTERNAL", `cannot remove cgroup ${dir}: ${code}`, { dir, errno: code });
  }
}

/** Sub-directories of dir (base names, sorted); [] if dir is missing. */
export function subDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch (e) {
    if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return [];
    throw e;
  }
}

/** dir and every directory below it, deepest first (the order rmdir needs). */
export function treeDeepestFirst(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const child of subDirs(dir)) out.push(...treeDeepestFirst(join(dir, child)));
  out.push(dir);
  return out;
}

/** The pids in the cgroup.procs of dir and of every cgroup below it. */
export function procsInTree(dir: string, into: Set<number>): void {
  for (const d of treeDeepestFirst(dir)) {
    const text = readIfExists(join(d, "cgroup.procs"));
    if (text === null) continue;
    for (const line of text.split("\n")) if (line.trim() !== "") into.add(Number(line));
  }
}

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  utimeTicks: number;
  stimeTicks: number;
}

/** Parses /proc/<pid>/stat (the command name may hold spaces and parentheses: split after the last ')'). */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const pid = Number(text.slice(0, text.indexOf("(")).trim());
  const f = text.slice(close + 2).trim().split(/\s+/);
  // f[0] is field 3 (state); utime and stime are fields 14 and 15.
  return { pid, state: f[0] ?? "?", ppid: Number(f[1]), pgid: Number(f[2]), utimeTicks: Number(f[11]), stimeTicks: Number(f[12]) };
}

export function procStat(pid: number): ProcStat | null {
  const text = readIfExists(`/proc/${pid}/stat`);
  return text === null ? null : parseProcStat(text);
}

/** Every live (not zombie) process on the host. */
export function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const st = procStat(Number(entry));
    if (st && st.state !== "Z" && st.state !== "X") out.push(st);
  }
  return out;
}

/** True when the process is gone or a zombie (dead, waiting only for its parent to reap it). */
export function isDead(pid: number): boolean {
  const st = procStat(pid);
  return st === null || st.state === "Z" || st.state === "X";
}

/** Sends a signal, ignoring "no such process". Negative pid = a process group. */
export function signal(pid: number, sig: NodeJS.Signals = "SIGKILL"): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if (errno(e) !== "ESRCH") throw e;
  }
}

/** Polls `cond` until it holds (true) or `deadline` (ms since epoch) passes (false). Backs off from 5 to 50 ms. */
export async function pollUntil(cond: () => boolean | Promise<boolean>, deadline: number): Promise<boolean> {
  let wait = 5;
  for (;;) {
    if (await cond()) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await Bun.sleep(Math.min(wait, left));
    wait = Math.min(50, wait * 2);
  }
}

/**
 * The loop behind every driver's kill(): while `alive()` lists a process, run one `round` (freeze, SIGKILL, thaw —
 * or cgroup.kill), then give the dying up to 250 ms before the next round. Throws at the deadline.
 */
export async function killUntilEmpty(
  what: string,
  alive: () => number[],
  round: (deadline: number) => Promise<void>,
  deadlineMs: number,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const left = alive();
    if (left.length === 0) return;
    if (Date.now() >= deadline) {
      throw new GalaxyError("INTERNAL", `${what}: ${left.length} process(es) still alive after ${deadlineMs} ms (${left.slice(0, 10).join(", ")})`, {
        pids: left.join(","),
      });
    }
    await round(deadline);
    await pollUntil(() => alive().length === 0, Math.min(deadline, Date.now() + 250));
  }
}

/** rmdir every directory (callers pass deepest first), retrying while the kernel says busy, until the deadline. */
export async function removeDirs(what: string, dirs: string[], deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (const d of dirs) {
    if (!(await pollUntil(() => removeDir(d), deadline))) {
      throw new GalaxyError("INTERNAL", `${what}: cannot remove ${d}: still busy after ${deadlineMs} ms`, { dir: d });
    }
  }
}
