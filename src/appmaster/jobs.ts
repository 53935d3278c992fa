// Jobs: ids, the persisted record, the group request a job makes of ResMan, and the allowed state transitions.
import { ConflictError } from "../core/errors.ts";
import { podResources, type JobSpec } from "../core/jobspec.ts";
import type { GroupSpec, JobState } from "../rpc/types.ts";

export interface JobRecord {
  id: string;
  user: string;
  spec: JobSpec;
  prevSpec: JobSpec | null;
  version: number;
  state: JobState;
  createdAt: number;
  updatedAt: number;
  /** When removal began (destroying): workers get terminate, then the group is released. */
  destroyingSince: number;
  message: string;
}

/** Readable, sortable: web-20261121-1432-7f3a. `suffix` is 4 hex chars the shell draws at random. */
export function newJobId(name: string, now: number, suffix: string): string {
  const d = new Date(now);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${name}-${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}-${suffix}`;
}

const TRANSITIONS: Record<JobState, JobState[]> = {
  pending: ["running", "destroying", "finished"],
  running: ["updating", "destroying", "finished"],
  updating: ["running", "update_paused", "destroying"],
  update_paused: ["updating", "running", "destroying"],
  destroying: [],
  finished: ["destroying"],
};

/** Refuses impossible transitions with a clear error (a broken caller, or a user racing a removal). */
export function transition(job: JobRecord, to: JobState, now: number): JobRecord {
  if (job.state === to) return job;
  if (!TRANSITIONS[job.state].includes(to)) throw new ConflictError(`job ${job.id} is ${job.state}; it cannot become ${to}`);
  return { ...job, state: to, updatedAt: now, destroyingSince: to === "destroying" ? now : job.destroyingSince };
}

/** The container group this job asks ResMan for. */
export function groupSpecOf(job: JobRecord): GroupSpec {
  const s = job.spec;
  const ports = s.pod.tasks.flatMap((t) => t.ports.map((p) => ({ name: p.name, port: p.port })));
  return {
    id: job.id, user: job.user, jobType: s.type, replica: job.state === "finished" ? 0 : s.deploy.replica,
    resources: podResources(s), ports,
    volumes: s.pod.volumes.map((v) => ({ path: v.path, size: v.size, medium: v.medium, exclusive: v.exclusive, readonly: v.readonly })),
    pools: s.deploy.pools, labels: s.deploy.labels, maxPerHost: s.deploy.maxPerHost, spread: s.deploy.spread,
    blacklist: [], version: job.version, step: s.deploy.step, env: {},
  };
}
