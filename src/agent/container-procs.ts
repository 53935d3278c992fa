// The processes of a container, spawned: its init (with namespaces: made once, holds them for the container's life)
// and its worker (at create and at every restart: under the wrapper, inside the init's namespaces when it has some).
//
//   startInit: rm INIT_READY_FILE ─► spawn initCommand ─► ready file? ─► the init's host pid (unshare's child with a pid
//              namespace, else unshare itself) and /proc start time, checkpointed by the caller
//                                 └─ it exited first ─► its status (EXIT_SETUP_FAILED: a mount failed)
//   spawnWorker: enterCommand(init pid) with namespaces, plainCommand without ─► detached, logs/worker.log
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { isAlive, processStartTicks, waitFor } from "../sys/proc.ts";
import type { ContainerCheckpoint } from "./core.ts";
import { INIT_READY_FILE, type Launch, type MountPlan, WORKER_EXIT_FILE, enterCommand, initCommand, plainCommand } from "./launch.ts";

/** How long galaxy-init may take to make its mounts before the container counts as failed. */
export const INIT_READY_TIMEOUT_MS = 30_000;

export type InitResult = { ok: true; pid: number; start: number } | { ok: false; code: number | null; signal: string | null; message: string };

/** Whether a container's worker must be started inside namespaces held by an init. */
export const hasInit = (cp: ContainerCheckpoint): boolean => (cp.namespaces ?? []).length > 0;

/** Its init is the one it was started with and still alive (an older checkpoint without one: no). */
export const initAlive = (cp: ContainerCheckpoint): boolean => !!cp.initPid && isAlive(cp.initPid, cp.initStart ?? 0);

/** Spawns a launch detached (its own session, so an agent restart never touches it), output appended to `logFile`. */
export function spawnLaunch(launch: Launch, cwd: string, env: Record<string, string>, logFile: string): ChildProcess {
  const log = openSync(logFile, "a");
  try {
    const child = spawn(launch.argv[0]!, launch.argv.slice(1), { cwd, detached: true, stdio: ["ignore", log, log], env: { ...env, ...launch.env } });
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

/** Makes the container's namespaces and mounts; resolves once they can be entered, or with why the init ended. */
export async function startInit(cp: ContainerCheckpoint, plan: MountPlan, env: Record<string, string>, timeoutMs = INIT_READY_TIMEOUT_MS): Promise<InitResult> {
  const ready = join(cp.workspace, INIT_READY_FILE);
  rmSync(ready, { force: true });
  const child = spawnLaunch(initCommand(cp.namespaces ?? [], plan), cp.workspace, env, workerLog(cp));
  let ended: { code: number | null; signal: string | null } | null = null;
  child.on("exit", (code, signal) => (ended = { code, signal }));
  child.on("error", () => (ended = { code: 127, signal: null }));
  await waitFor(() => existsSync(ready) || ended !== null, timeoutMs);
  const end = ended as { code: number | null; signal: string | null } | null; // (assigned in a callback)
  if (end) return { ok: false, ...end, message: `its init ended (${end.signal ?? `exit ${end.code}`}) before its namespaces were ready` };
  const outside = child.pid ?? 0;
  const pid = (cp.namespaces ?? []).includes("pid") ? (firstChild(outside) ?? 0) : outside;
  const start = processStartTicks(pid);
  if (existsSync(ready) && start > 0) return { ok: true, pid, start };
  child.kill("SIGKILL"); // --kill-child: the init goes with it
  return { ok: false, code: null, signal: null, message: `its init was not ready after ${timeoutMs} ms` };
}

/** Starts the worker: inside the init's namespaces (nsenter) when the container has some, else straight in its cgroup. */
export function spawnWorker(cp: ContainerCheckpoint, worker: readonly string[], env: Record<string, string>, clusterDir = ""): ChildProcess {
  const launch = hasInit(cp) ? enterCommand(cp.namespaces ?? [], cp.initPid ?? 0, cp.workspace, worker, clusterDir) : plainCommand(worker);
  return spawnLaunch(launch, cp.workspace, env, workerLog(cp));
}

/** The process SIGTERM goes to: in a pid namespace nsenter's child (the wrapper, which forwards it), else the worker's launch. */
export function stopTarget(cp: ContainerCheckpoint): number {
  return (cp.namespaces ?? []).includes("pid") ? (firstChild(cp.pid) ?? cp.pid) : cp.pid;
}

export const workerLog = (cp: ContainerCheckpoint): string => join(cp.workspace, "logs", "worker.log");

/** The first child of a process (unshare's child is the container's init; nsenter's, the wrapper). */
export function firstChild(pid: number): number | null {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/)[0];
    return first ? Number(first) : null;
  } catch {
    return null;
  }
}

/** The status the wrapper recorded when the worker ended; null when there is none (the wrapper was killed too). */
export function readExitStatus(workspace: string): number | null {
  try {
    const text = readFileSync(join(workspace, WORKER_EXIT_FILE), "utf8").trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

export function logTail(file: string): string {
  try {
    return readFileSync(file, "utf8").slice(-2000);
  } catch {
    return "";
  }
}

/** How long a start's slot waits for its worker to be up (it is taken back regardless after that). */
export const WORKER_UP_WAIT_MS = 20_000;

/** The worker wrote its state file since `since` (it does at start): it is up. */
export function workerUpSince(workspace: string, since: number): boolean {
  try {
    return statSync(join(workspace, ".galaxy", "worker.json")).mtimeMs >= since - 1000;
  } catch {
    return false;
  }
}
