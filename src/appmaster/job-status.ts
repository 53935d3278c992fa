// A job's status, derived from its pods as they are now (pods.ts podTruth), pure. The job's `state` is its lifecycle
// (pending, running, updating, …, finished); its `status` says how it is doing:
//
//   destroying | updating | update_paused        the lifecycle says it all
//   finished batch    every pod succeeded ──► finished │ none did ──► failed │ some did ──► finished with failures
//   otherwise         healthy ≥ replica ──► running
//                     every pod given up on by the failure policy ──► failed
//                     a pod in trouble (failed, lost, given up, an error, restarting), or it ran whole once
//                     (readyAt) ──► degraded
//                     else (first deploy, pods on their way: placed, deploying, starting) ──► deploying
import { isBatch, type JobRecord } from "./jobs.ts";
import type { PodSeen } from "./pods.ts";

export type JobStatus =
  | "deploying" | "running" | "degraded" | "failed" | "finished" | "finished with failures" | "updating" | "update_paused" | "destroying";

/** A pod as the status sees it: how it reads now (pods.ts podSeen), and whether the failure policy gave up on it. */
export type StatusPod = Pick<PodSeen, "state" | "healthy" | "lastError" | "restarts"> & { gaveUp: boolean };

/** Pods that count towards the replica: healthy now (a batch pod also when it finished). */
export function healthyCount(job: JobRecord, pods: readonly StatusPod[]): number {
  const batch = isBatch(job.spec);
  return pods.filter((p) => p.healthy || (batch && p.state === "finished")).length;
}

export function jobStatus(job: JobRecord, pods: readonly StatusPod[]): JobStatus {
  if (job.state === "destroying" || job.state === "updating" || job.state === "update_paused") return job.state;
  if (job.state === "finished") {
    const r = job.result ?? { succeeded: 0, failed: 0 };
    if (r.failed === 0) return "finished";
    return r.succeeded === 0 ? "failed" : "finished with failures";
  }
  if (healthyCount(job, pods) >= job.spec.deploy.replica) return "running";
  if (pods.length > 0 && pods.every((p) => p.gaveUp)) return "failed";
  return job.readyAt > 0 || pods.some(inTrouble) ? "degraded" : "deploying";
}

const TROUBLE: readonly string[] = ["failed", "lost", "terminated"];

const ON_ITS_WAY: readonly string[] = ["deploying", "starting"];

/**
 * Not on its way to running: failed, lost, given up, restarting, or saying why it is not placed (a pod deploying or
 * starting for the first time may say its health check does not pass yet).
 */
function inTrouble(p: StatusPod): boolean {
  if (p.gaveUp || TROUBLE.includes(p.state)) return true;
  if (p.healthy || p.state === "finished") return false;
  return p.restarts > 0 || (p.lastError !== "" && !ON_ITS_WAY.includes(p.state));
}
