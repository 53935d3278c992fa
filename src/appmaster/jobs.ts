// Jobs: ids, the persisted record, the group request a job makes of ResMan, and the allowed state transitions.
//
//            ┌──────────── update ───────────┐        pause / break / a step pod fails
//   pending ─┴─► running ◄── done, cancel ── updating ◄──────────────► update_paused
//      │            │   ▲                       │        continue / rollback    │
//      │            │   └──────── cancel ───────┼───────────────────────────────┘
//      │            └─► finished (batch: every pod finished or given up on)
//      └──────── any live state ──► destroying (galaxy remove) ──► forgotten once its group is released
import { ConflictError } from "../core/errors.ts";
import { ioLimits, volumeRequests } from "../rpc/group-spec.ts";
import { podResources, type JobSpec } from "../core/jobspec.ts";
import type { GroupSpec, JobState } from "../rpc/types.ts";
import type { VersionRec } from "./history.ts";

export type UpdateKind = "rebuild" | "reload" | "recreate";
export type StepAction = "start" | UpdateKind;

/** One pod admitted to the current deploy/update step, and when. */
export interface StepPod {
  id: string;
  action: StepAction;
  at: number;
  /** recreate: its container was rescheduled (it comes back fresh and gets `start`). */
  moved?: boolean;
}

/** Pods deploying or updating now; at most deploy.step of them. doneAt: when the last one settled (0: in flight). */
export interface Step {
  pods: StepPod[];
  startedAt: number;
  doneAt: number;
}

export interface Rollout {
  kind: UpdateKind;
  fromVersion: number;
  toVersion: number;
  /** Pause when this many pods run toVersion (0: never). */
  breakAt: number;
  startedAt: number;
  rollback: boolean;
  state: "active" | "done" | "cancelled";
}

export interface BlacklistEntry {
  agent: string;
  until: number;
  reason: string;
}

export interface JobRecord {
  id: string;
  user: string;
  spec: JobSpec;
  /** The description before the last update: what --rollback returns to. */
  prevSpec: JobSpec | null;
  /** The version of `spec`; every pod is driven towards it. */
  version: number;
  /** The highest version ever given out (a rollback reuses an old number; a new update takes top + 1). */
  topVersion: number;
  state: JobState;
  createdAt: number;
  updatedAt: number;
  /** When removal began (destroying): workers get terminate, then the group is released. */
  destroyingSince: number;
  message: string;
  rollout: Rollout | null;
  step: Step | null;
  blacklist: BlacklistEntry[];
  /** Failure-policy moves per pod; `agent`: the agent a decided move is still pending off ("" once ResMan took it),
   * so a retried move is not counted twice; `gaveUp`: the failure policy gave up on it, and said so. */
  moves: Record<string, { count: number; agent: string; gaveUp?: boolean }>;
  /** Batch: pods that finished and that failed for good, counted when the job finished. */
  result: { succeeded: number; failed: number } | null;
  finishedAt: number;
  /** When `replica` pods first all ran (0: not yet): before, fewer healthy pods is deploying; after, degraded. */
  readyAt: number;
  /** Batch: pods that finished while the job runs on: their containers are released at once (GroupSpec.released). */
  released: string[];
  /** Its versions, oldest first (history.ts): galaxy history, update --rollback --to N. Absent in older records. */
  history?: VersionRec[];
}

/** Readable, sortable: web-20261121-1432-7f3a. `suffix` is 4 hex chars the shell draws at random. */
export function newJobId(name: string, now: number, suffix: string): string {
  const d = new Date(now);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${name}-${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}-${suffix}`;
}

export function newJobRecord(id: string, spec: JobSpec, user: string, now: number): JobRecord {
  return {
    id, user, spec, prevSpec: null, version: 1, topVersion: 1, state: "pending", createdAt: now, updatedAt: now,
    destroyingSince: 0, message: "", rollout: null, step: null, blacklist: [], moves: {}, result: null, finishedAt: 0,
    readyAt: 0, released: [], history: [{ version: 1, at: now, user, change: "created", spec }],
  };
}

/** A record as stored by an older AppMaster gets the fields added since. */
export function normalizeJob(j: Partial<JobRecord> & Pick<JobRecord, "id" | "spec" | "user">): JobRecord {
  const base = newJobRecord(j.id, j.spec, j.user, j.createdAt ?? 0);
  const out = { ...base, ...j } as JobRecord;
  out.topVersion = Math.max(out.topVersion || 0, out.version);
  return out;
}

const TRANSITIONS: Record<JobState, JobState[]> = {
  pending: ["running", "updating", "destroying", "finished"],
  running: ["updating", "destroying", "finished"],
  updating: ["running", "update_paused", "destroying", "finished"],
  update_paused: ["updating", "running", "destroying", "finished"],
  destroying: [],
  finished: ["destroying"],
};

export const canTransition = (from: JobState, to: JobState): boolean => from === to || TRANSITIONS[from].includes(to);

/** Refuses impossible transitions with a clear error (a broken caller, or a user racing a removal). */
export function transition(job: JobRecord, to: JobState, now: number): JobRecord {
  if (job.state === to) return job;
  if (!TRANSITIONS[job.state].includes(to)) throw new ConflictError(`job ${job.id} is ${job.state}; it cannot become ${to}`);
  return { ...job, state: to, updatedAt: now, destroyingSince: to === "destroying" ? now : job.destroyingSince };
}

export const isBatch = (spec: JobSpec): boolean => spec.type === "batch" || spec.type === "best-effort";

/** Blacklist entries still in force at `now`. */
export const activeBlacklist = (job: JobRecord, now: number): BlacklistEntry[] => job.blacklist.filter((b) => b.until > now);

const STOP_MARGIN_MS = 10_000;

/** The container group this job asks ResMan for (a finished batch job asks for none). */
export function groupSpecOf(job: JobRecord, now: number): GroupSpec {
  const s = job.spec;
  const ports = s.pod.tasks.flatMap((t) => t.ports.map((p) => ({ name: p.name, port: p.port })));
  return {
    id: job.id, user: job.user, jobType: s.type, replica: job.state === "finished" ? 0 : s.deploy.replica,
    resources: podResources(s), ports,
    volumes: volumeRequests(s),
    pools: s.deploy.pools, labels: s.deploy.labels, maxPerHost: s.deploy.maxPerHost, spread: s.deploy.spread,
    name: s.name, antiAffinity: s.deploy.antiAffinity.map((r) => ({ ...r })), score: s.deploy.score,
    blacklist: activeBlacklist(job, now).map((b) => b.agent).sort(), version: job.version, step: s.deploy.step, env: {},
    released: job.state === "finished" ? [] : [...job.released].sort(),
    profileCpu: s.deploy.profile?.cpu ?? [], profileMemory: s.deploy.profile?.memory ?? [],
    container: {
      cpuExcess: s.pod.tasks.every((t) => t.cpu.excess), memoryExcess: s.pod.tasks.every((t) => t.memory.excess),
      memoryCeiling: 0, pidsLimit: 0, ioWeight: 0, io: ioLimits(s), workspaceSize: s.pod.workspace.size,
      // the worker's stop sequence: stop command, stop_timeout, SIGTERM, up to 5 s, SIGKILL; then the agent may kill
      stopTimeoutMs: s.deploy.stopTimeout + STOP_MARGIN_MS,
    },
  };
}
