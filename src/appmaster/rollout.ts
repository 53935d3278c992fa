// Updates (jobspec.md "Updates"), pure: how a new description differs from the old, and what each user action
// (update, pause, continue, rollback, cancel, scale) does to a job record. The planner (planner.ts) then drives
// the pods, `step` at a time.
//
//   classify(old, new):  resources changed ─► recreate   (new containers, step at a time)
//                        tasks changed ──────► rebuild    (re-deploy and restart in place)
//                        data changed ───────► reload     (fetch data packages, run data.reload; tasks keep running)
//                        deploy knobs only ──► policy     (no pod touched)
//                        replica only ───────► scale      (no pod touched)
import { ConflictError, InvalidError } from "../core/errors.ts";
import { podResources, type JobSpec, type TaskSpec } from "../core/jobspec.ts";
import type { JobState } from "../rpc/types.ts";
import { transition, type JobRecord, type UpdateKind } from "./jobs.ts";

export type Classification = UpdateKind | "policy" | "scale" | "none";

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** What the pods must go through to move from description a to b (the most disruptive change wins). */
export function classifyUpdate(a: JobSpec, b: JobSpec): Classification {
  if (resourcesChanged(a, b)) return "recreate";
  const strip = (t: TaskSpec) => ({ ...t, data: undefined });
  if (!same(a.pod.tasks.map(strip), b.pod.tasks.map(strip))) return "rebuild";
  if (!same(a.pod.tasks.map((t) => t.data), b.pod.tasks.map((t) => t.data))) return "reload";
  const knobs = (s: JobSpec) => ({ ...s.deploy, replica: 0 });
  if (!same(knobs(a), knobs(b))) return "policy";
  return a.deploy.replica === b.deploy.replica ? "none" : "scale";
}

/** cpu, memory, io, ports, volumes, workspace, pools, labels, max_per_host: a container must be made anew. */
function resourcesChanged(a: JobSpec, b: JobSpec): boolean {
  const shape = (s: JobSpec) => ({
    res: podResources(s), tasks: s.pod.tasks.map((t) => ({ cpu: t.cpu, memory: t.memory, ports: t.ports, io: t.io })),
    volumes: s.pod.volumes, workspace: s.pod.workspace, pools: s.deploy.pools, labels: s.deploy.labels,
    maxPerHost: s.deploy.maxPerHost,
  });
  return !same(shape(a), shape(b));
}

const LIVE: JobState[] = ["pending", "running"];

/** Accepts a new description. Pods are not touched for scale/policy changes; otherwise a rollout starts. */
export function startUpdate(job: JobRecord, next: JobSpec, breakAfter: number, now: number): { job: JobRecord; kind: Classification } {
  if (next.name !== job.spec.name) throw new InvalidError(`the new description is named ${next.name}; job ${job.id} is ${job.spec.name}`);
  if (next.type !== job.spec.type) throw new InvalidError(`a job's type cannot change (${job.spec.type} to ${next.type}); submit a new job`);
  if (job.state === "updating" || job.state === "update_paused") {
    throw new ConflictError(`job ${job.id} is ${job.state === "updating" ? "updating" : "paused in an update"}; continue, roll back or cancel that update first`);
  }
  if (!LIVE.includes(job.state)) throw new ConflictError(`job ${job.id} is ${job.state}; it cannot be updated`);
  const kind = classifyUpdate(job.spec, next);
  if (kind === "none") return { job, kind };
  if (kind === "scale" || kind === "policy") return { job: { ...job, spec: next, updatedAt: now, message: "" }, kind };
  const version = job.topVersion + 1;
  const moved = transition(job, "updating", now);
  return {
    kind,
    job: {
      ...moved, spec: next, prevSpec: job.spec, version, topVersion: version, message: "",
      rollout: { kind, fromVersion: job.version, toVersion: version, breakAt: breakAfter || next.deploy.updateBreak, startedAt: now, rollback: false, state: "active" },
    },
  };
}

export type UpdateAction = "pause" | "continue" | "rollback" | "cancel";

/** pause, continue [--break N], rollback, cancel. `updated`: pods now running the target version. */
export function applyUpdateAction(job: JobRecord, action: UpdateAction, breakAfter: number, updated: number, now: number): JobRecord {
  switch (action) {
    case "pause":
      if (job.state !== "updating") throw noUpdate(job, "pause", job.state === "update_paused" ? "it is already paused" : undefined);
      return { ...transition(job, "update_paused", now), message: "paused by the user" };
    case "continue": {
      if (job.state !== "update_paused") throw noUpdate(job, "continue", job.state === "updating" ? "it is not paused" : undefined);
      const rollout = { ...job.rollout!, breakAt: breakAfter > 0 ? updated + breakAfter : 0 };
      return { ...transition(job, "updating", now), rollout, message: "" };
    }
    case "cancel":
      if (job.state !== "updating" && job.state !== "update_paused") throw noUpdate(job, "cancel");
      return {
        ...transition(job, "running", now), rollout: { ...job.rollout!, state: "cancelled" },
        message: `update cancelled; pods not yet on version ${job.version} keep their version`,
      };
    case "rollback":
      return rollback(job, now);
  }
}

function rollback(job: JobRecord, now: number): JobRecord {
  const r = job.rollout;
  const rollable = job.state === "updating" || job.state === "update_paused" || (job.state === "running" && r && r.state !== "active");
  if (!rollable || !r || !job.prevSpec) throw noUpdate(job, "roll back", job.state === "running" ? "it was never updated" : undefined);
  const kind = classifyUpdate(job.spec, job.prevSpec);
  const moved = transition(job, "updating", now);
  return {
    ...moved, spec: job.prevSpec, prevSpec: job.spec, version: r.fromVersion, message: `rolling back to version ${r.fromVersion}`,
    rollout: {
      kind: kind === "recreate" || kind === "reload" ? kind : "rebuild", fromVersion: job.version, toVersion: r.fromVersion,
      breakAt: 0, startedAt: now, rollback: true, state: "active",
    },
  };
}

/** rollback --to N: back to the description of version N (history), in place when only tasks or data differ. */
export function rollbackTo(job: JobRecord, spec: JobSpec | null, n: number, now: number): JobRecord {
  if (!spec) throw new InvalidError(`job ${job.id} has no version ${n}; see \`galaxy history ${job.spec.name}\``);
  if (!["pending", "running", "updating", "update_paused"].includes(job.state)) throw new ConflictError(`job ${job.id} is ${job.state}; it cannot be rolled back`);
  if (n === job.version && job.state !== "updating" && job.state !== "update_paused") throw new ConflictError(`job ${job.id} already runs version ${n}`);
  const kind = classifyUpdate(job.spec, spec);
  const moved = transition(job, "updating", now);
  return {
    ...moved, spec, prevSpec: job.spec, version: n, message: `rolling back to version ${n}`,
    rollout: {
      kind: kind === "recreate" || kind === "reload" ? kind : "rebuild", fromVersion: job.version, toVersion: n,
      breakAt: 0, startedAt: now, rollback: true, state: "active",
    },
  };
}

function noUpdate(job: JobRecord, verb: string, why?: string): ConflictError {
  return new ConflictError(`cannot ${verb} the update of job ${job.id}: ${why ?? `it is ${job.state}, not updating`}`);
}

/** galaxy scale: only the replica count changes; no pod is touched. */
export function scaleJob(job: JobRecord, replica: number, now: number): JobRecord {
  if (!Number.isInteger(replica) || replica < 0 || replica > 100_000) throw new InvalidError(`replica ${replica} is not in 0..100000`);
  if (job.state === "destroying" || job.state === "finished") throw new ConflictError(`job ${job.id} is ${job.state}; it cannot be scaled`);
  const spec = { ...job.spec, deploy: { ...job.spec.deploy, replica } };
  const prevSpec = job.prevSpec ? { ...job.prevSpec, deploy: { ...job.prevSpec.deploy, replica } } : null;
  return { ...job, spec, prevSpec, updatedAt: now };
}
