// The worker's decisions, pure: what state the pod is in, whether and when a task restarts, how an exit reads.
import type { JobType } from "../core/jobspec.ts";
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

/** Pod state from its tasks: failed if any failed; batch finished when all exited 0; running when all run healthy. */
export function podState(tasks: readonly TaskView[], jobType: JobType): PodState {
  if (tasks.length === 0) return "starting";
  if (tasks.some((t) => t.state === "failed")) return "failed";
  const batch = jobType === "batch" || jobType === "best-effort";
  if (batch && tasks.every((t) => t.state === "exited" && t.exitCode === 0)) return "finished";
  if (tasks.every((t) => (t.state === "running" && t.healthy) || (batch && t.state === "exited" && t.exitCode === 0))) return "running";
  return "starting";
}

export type ExitDecision = { kind: "done" } | { kind: "restart"; delayMs: number } | { kind: "failed" };

/** After a task exits: a batch task that exited 0 is done; otherwise restart with exponential back-off until the attempts run out. */
export function onTaskExit(jobType: JobType, exitCode: number, restartsSoFar: number, policy: RestartPolicy): ExitDecision {
  const batch = jobType === "batch" || jobType === "best-effort";
  if (batch && exitCode === 0) return { kind: "done" };
  if (restartsSoFar >= policy.attempts) return { kind: "failed" };
  return { kind: "restart", delayMs: backoff(restartsSoFar, policy) };
}

export function backoff(restartsSoFar: number, policy: RestartPolicy): number {
  return Math.min(policy.maxDelay, policy.delay * 2 ** Math.min(restartsSoFar, 30));
}

/** "exited 3", "killed by SIGKILL (OOM)", "killed by SIGSEGV (core dumped)". */
export function describeExit(code: number | null, signal: string | null, opts: { oom?: boolean; core?: boolean } = {}): string {
  if (signal) return `killed by ${signal}${opts.oom ? " (OOM)" : ""}${opts.core ? " (core dumped)" : ""}`;
  return `exited ${code ?? -1}`;
}

/** Fencing: a command from an epoch lower than one seen comes from a deposed AppMaster. */
export const acceptEpoch = (seen: number, got: number): boolean => got >= seen;
