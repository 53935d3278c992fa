// How a job's deploy and update progress reads for people (galaxy job, galaxy jobs, galaxy update --watch).
import type { Job } from "../rpc/types.ts";

const short = (podId: string) => podId.slice(podId.lastIndexOf(".") + 1);

/** "rebuild 1 -> 2: 2/4 pods on version 2, step [2], break at 3" (+ "; paused: why"), or "" when never updated. */
export function describeUpdate(job: Job): string {
  const u = job.update;
  if (!u.kind) return "";
  const head = `${u.rollback ? "rollback" : u.kind} ${u.fromVersion} -> ${u.toVersion}`;
  const parts = [`${u.updated}/${u.total} pods on version ${u.toVersion}`];
  if (u.step.length && u.state !== "done") parts.push(`step [${u.step.map(short).join(", ")}]`);
  if (u.breakAt) parts.push(`break at ${u.breakAt}`);
  const tail = u.state === "paused" ? `; paused${job.message ? `: ${job.message.replace(/^paused:? ?/, "")}` : ""}` : u.state === "active" ? "" : ` (${u.state})`;
  return `${head}: ${parts.join(", ")}${tail}`;
}

/** The status of a job (job-status.ts; an older AppMaster sends none: its state) */
export const statusOf = (job: Pick<Job, "status" | "state">): string => job.status || job.state;

/**
 * The status of a job with its most telling numbers: "updating 2/4", "finished (10 ok, 0 failed)", "failed (0 ok, 1
 * failed)", "degraded 2/3" (healthy of replica).
 */
export function statusLine(job: Job): string {
  const status = statusOf(job);
  if (job.state === "finished") return `${status} (${job.finished} ok, ${job.failed} failed)`;
  if (job.state === "updating" || job.state === "update_paused") return `${job.state} ${job.update.updated}/${job.update.total}`;
  if (status === "degraded" || status === "deploying") return `${status} ${job.healthy}/${job.replica}`;
  return status;
}
