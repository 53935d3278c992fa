// The worker's decisions, pure: what state the pod is in, what a command from AppMaster asks of it, whether and when
// a task restarts, how an exit reads.
//
//   Pending ──start──► Deploying ──packages ready, tasks started──► Starting ──all healthy──► Running
//      ▲                  │ download/verify failed                      │ a task gave up        │ batch: all exited 0
//      │                  ▼                                             ▼                       ▼
//      │               Failed ◄──────────────────────────────────── Failed                  Finished
//   rebuild/reload: Running ──► Deploying ──► Starting ──► Running (same container)
//   terminate: any ──► Stopping ──► Terminated
import type { JobType } from "../core/jobspec.ts";
import { formatSize } from "../core/units.ts";
import type { PodState, TaskState } from "../rpc/types.ts";

export interface TaskView {
  state: TaskState;
  exitCode: number;
  healthy: boolean;
}

export interface RestartPolicy {
  attempts: number;
  delay: number;
  maxDelay: number;
}

const isBatch = (t: JobType) => t === "batch" || t === "best-effort";

/** Pod state from its tasks: failed if any failed; batch finished when all exited 0; running when all run healthy. */
export function podState(tasks: readonly TaskView[], jobType: JobType): PodState {
  if (tasks.length === 0) return "starting";
  if (tasks.some((t) => t.state === "failed")) return "failed";
  const batch = isBatch(jobType);
  if (batch && tasks.every((t) => t.state === "exited" && t.exitCode === 0)) return "finished";
  if (tasks.every((t) => (t.state === "running" && t.healthy) || (batch && t.state === "exited" && t.exitCode === 0))) return "running";
  return "starting";
}

/** What the worker is doing, as far as the state it reports goes. */
export interface WorkerStatus {
  terminating: boolean;
  anyTaskAlive: boolean;
  /** deploying or reloading: an operation is under way. */
  busy: boolean;
  /** Why the last operation failed ("" if it did not). */
  failure: string;
  hasPlan: boolean;
  tasks: readonly TaskView[];
  jobType: JobType;
}

export function workerState(s: WorkerStatus): PodState {
  if (s.terminating) return s.anyTaskAlive ? "stopping" : "terminated";
  if (s.busy) return "deploying";
  if (s.failure) return "failed";
  if (!s.hasPlan) return "pending";
  return podState(s.tasks, s.jobType);
}

export type WorkerOp =
  | { kind: "none" }
  | { kind: "terminate" }
  | { kind: "deploy" } // download packages, stop the old tasks, start the new ones
  | { kind: "reload" } // download data packages, run data.reload; tasks keep running
  | { kind: "clear-failure" }; // told to run the version it already runs: a failed deploy of another is forgotten

export interface WorkerPosition {
  /** The version whose tasks run (0: none yet). */
  planVersion: number;
  /** The version a failed operation aimed at (0: none failed). */
  failedVersion: number;
  busy: boolean;
  /** The last one-off operation carried out. */
  opId: string;
}

/** What a FetchTask reply asks of the worker, given where it stands. Repeated commands are idempotent. */
export function decide(command: string, version: number, opId: string, w: WorkerPosition): WorkerOp {
  if (command === "terminate" || command === "quit") return { kind: "terminate" };
  if (command !== "start" && command !== "rebuild" && command !== "reload") return { kind: "none" };
  if (w.busy) return { kind: "none" }; // AppMaster repeats itself; the next reply after this operation decides
  if (command === "rebuild" && opId && opId !== w.opId) return { kind: "deploy" };
  if (version === w.planVersion) {
    // back to what runs (a rollback after a failed deploy): forget the failure; a failed reload of it stays failed
    return w.failedVersion && w.failedVersion !== w.planVersion ? { kind: "clear-failure" } : { kind: "none" };
  }
  if (version === w.failedVersion) return { kind: "none" }; // it failed already; wait for a recover or a rollback
  if (command === "reload" && w.planVersion !== 0) return { kind: "reload" };
  return { kind: "deploy" };
}

export type ExitDecision = { kind: "done" } | { kind: "restart"; delayMs: number } | { kind: "failed" };

/** After a task exits: a batch task that exited 0 is done; otherwise restart with exponential back-off until the attempts run out. */
export function onTaskExit(jobType: JobType, exitCode: number, restartsSoFar: number, policy: RestartPolicy): ExitDecision {
  if (isBatch(jobType) && exitCode === 0) return { kind: "done" };
  if (restartsSoFar >= policy.attempts) return { kind: "failed" };
  return { kind: "restart", delayMs: backoff(restartsSoFar, policy) };
}

export function backoff(restartsSoFar: number, policy: RestartPolicy): number {
  return Math.min(policy.maxDelay, policy.delay * 2 ** Math.min(restartsSoFar, 30));
}

/** "exited 3", "killed: out of memory (limit 64M)", "killed by SIGSEGV (core dumped)". `memoryLimit` in bytes (0: unknown). */
export function describeExit(code: number | null, signal: string | null, opts: { oom?: boolean; core?: boolean; memoryLimit?: number } = {}): string {
  if (signal === "SIGKILL" && opts.oom) return `killed: out of memory${opts.memoryLimit ? ` (limit ${formatSize(opts.memoryLimit)})` : ""}`;
  if (signal) return `killed by ${signal}${opts.core ? " (core dumped)" : ""}`;
  return `exited ${code ?? -1}`;
}

/** Fencing: a command from an epoch lower than one seen comes from a deposed AppMaster. */
export const acceptEpoch = (seen: number, got: number): boolean => got >= seen;
