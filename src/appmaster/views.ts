// Read-only views of AppMaster's state for clients (no decisions, no writes).
import { podResources } from "../core/jobspec.ts";
import type { Job } from "../rpc/types.ts";
import { healthyCount, jobStatus, type StatusPod } from "./job-status.ts";
import { activeBlacklist, isBatch, type JobRecord } from "./jobs.ts";
import { failedForGood, type PlanOptions } from "./planner.ts";
import { podSeen, type PodRec } from "./pods.ts";

/** How the job's pods read at `now` (podSeen), and whether the failure policy gave up on each. */
export function statusPods(job: JobRecord, recs: readonly PodRec[], now: number, opts: Pick<PlanOptions, "maxMoves">): StatusPod[] {
  return recs.map((p) => {
    const s = podSeen(p, now);
    return { state: s.state, healthy: s.healthy, lastError: s.lastError, restarts: s.restarts, gaveUp: failedForGood(job, p, opts) };
  });
}

/**
 * brief: without the job's specs as JSON (a listing of many jobs). Counts and status come from its pods as they are
 * at `now` (a stale report counts as lost, a container the agent says ended as failed).
 */
export function jobView(job: JobRecord, recs: readonly PodRec[], now: number, brief = false, opts: Pick<PlanOptions, "maxMoves"> = { maxMoves: 2 }): Job {
  const sp = statusPods(job, recs, now, opts);
  const count = (...states: string[]) => sp.filter((p) => states.includes(p.state)).length;
  const runningTarget = sp.filter((p, i) => recs[i]!.version === job.version && (p.state === "running" || (isBatch(job.spec) && p.state === "finished"))).length;
  const done = job.state === "finished" && job.result;
  return {
    id: job.id, name: job.spec.name, jobType: job.spec.type, user: job.user, state: job.state,
    specJson: brief ? "" : JSON.stringify(job.spec), version: job.version, createdAt: job.createdAt, updatedAt: job.updatedAt,
    replica: job.spec.deploy.replica, running: count("running"), pending: count("pending"),
    deploying: count("deploying", "starting"), dead: count("lost", "terminated", "stopping"),
    failed: done ? job.result!.failed : count("failed"), finished: done ? job.result!.succeeded : count("finished"),
    resources: podResources(job.spec), message: job.message,
    prevSpecJson: job.prevSpec && !brief ? JSON.stringify(job.prevSpec) : "", updated: recs.filter((p) => p.version === job.version).length,
    update: updateProgress(job, recs.length, runningTarget),
    blacklist: activeBlacklist(job, now).map((b) => ({ agent: b.agent, until: b.until, reason: b.reason })),
    finishedAt: job.finishedAt, warnings: [], status: jobStatus(job, sp), healthy: healthyCount(job, sp), unchanged: false,
  };
}

function updateProgress(job: JobRecord, total: number, updated: number): Job["update"] {
  const r = job.rollout;
  if (!r) {
    return { kind: "", fromVersion: 0, toVersion: 0, updated: 0, total: 0, breakAt: 0, step: [], startedAt: 0, rollback: false, state: "" };
  }
  const state = r.state === "active" && job.state === "update_paused" ? "paused" : r.state;
  return {
    kind: r.kind, fromVersion: r.fromVersion, toVersion: r.toVersion, updated, total, breakAt: r.breakAt,
    step: (job.step?.pods ?? []).map((sp) => sp.id), startedAt: r.startedAt, rollback: r.rollback, state,
  };
}
