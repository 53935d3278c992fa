// AppMasterCore: jobs (hard, persisted by the shell from returned writes) and pods (soft, rebuilt from ResMan's
// hints and workers' reports). Pure: time and randomness come in as arguments.
//
//   submit/remove ──► job record (write) ──► the shell sends the group request to ResMan
//   hints (ResMan) ──► pod.agent, ports, container state
//   FetchTask (worker) ──► pod state, tasks ──► reply: start <version> | terminate
import { AmbiguousError, NotFoundError } from "../core/errors.ts";
import type { JobSpec } from "../core/jobspec.ts";
import { podPlanOf } from "../core/pod-plan.ts";
import type { FetchTaskReply, FetchTaskRequest, Hint, Job, Pod, PodState } from "../rpc/types.ts";
import { podResources } from "../core/jobspec.ts";
import { newJobId, transition, type JobRecord } from "./jobs.ts";

export interface PodRec extends Pod {
  /** A worker has reported since this leader started. */
  reported: boolean;
}

export interface JobWrite {
  key: string;
  value: JobRecord | null;
}

export class AppMasterCore {
  readonly jobs = new Map<string, JobRecord>();
  readonly pods = new Map<string, PodRec>();

  constructor(
    readonly epoch: number,
    jobs: JobRecord[],
  ) {
    for (const j of jobs) this.jobs.set(j.id, j);
  }

  submit(spec: JobSpec, user: string, now: number, suffix: string): { job: JobRecord; writes: JobWrite[] } {
    const job: JobRecord = {
      id: newJobId(spec.name, now, suffix), user, spec, prevSpec: null, version: 1, state: "pending",
      createdAt: now, updatedAt: now, destroyingSince: 0, message: "",
    };
    this.jobs.set(job.id, job);
    return { job, writes: [{ key: job.id, value: job }] };
  }

  /** Resolves an id, a unique id prefix, or a unique job name. */
  resolve(ref: string): JobRecord {
    const exact = this.jobs.get(ref);
    if (exact) return exact;
    const byPrefix = [...this.jobs.keys()].filter((id) => id.startsWith(ref));
    if (byPrefix.length === 1) return this.jobs.get(byPrefix[0]!)!;
    const byName = [...this.jobs.values()].filter((j) => j.spec.name === ref).map((j) => j.id);
    if (byName.length === 1) return this.jobs.get(byName[0]!)!;
    const candidates = byPrefix.length ? byPrefix : byName;
    if (candidates.length > 1) throw new AmbiguousError("job", ref, candidates.sort());
    throw new NotFoundError("job", ref);
  }

  setState(job: JobRecord, to: JobRecord["state"], now: number): JobWrite[] {
    const next = transition(job, to, now);
    if (next === job) return [];
    this.jobs.set(job.id, next);
    return [{ key: job.id, value: next }];
  }

  remove(ref: string, now: number): { job: JobRecord; writes: JobWrite[] } {
    const job = this.resolve(ref);
    const writes = this.setState(job, "destroying", now);
    return { job: this.jobs.get(job.id)!, writes };
  }

  /** The group is gone at ResMan: forget the job and its pods. */
  forget(id: string): JobWrite[] {
    this.jobs.delete(id);
    for (const p of this.podsOf(id)) this.pods.delete(p.id);
    return [{ key: id, value: null }];
  }

  /** Destroying jobs whose workers have all stopped (or whose stop grace has passed) can release their group. */
  readyToRelease(now: number, graceMs: number): JobRecord[] {
    return [...this.jobs.values()].filter((j) => {
      if (j.state !== "destroying") return false;
      const live = this.podsOf(j.id).filter((p) => p.reported && !["terminated", "finished", "failed", "pending"].includes(p.state));
      return live.length === 0 || now - j.destroyingSince > j.spec.deploy.stopTimeout + graceMs;
    });
  }

  applyHints(hints: Hint[], now: number): JobWrite[] {
    const writes: JobWrite[] = [];
    for (const h of hints) {
      const job = this.jobs.get(h.groupId);
      if (!job) continue;
      const seen = new Set<string>();
      for (const c of h.containers) {
        seen.add(c.id);
        const pod = this.podFor(c.id, job.id, now);
        pod.agent = c.agent;
        pod.ports = c.ports;
        pod.containerState = c.state;
        pod.usage = c.usage;
        if (!pod.reported) pod.state = hintState(c.state, c.agent);
        if (c.state === "lost") pod.state = "lost";
        pod.lastError = c.agent ? pod.lastError : c.lastError;
      }
      for (const p of this.podsOf(job.id)) if (!seen.has(p.id)) this.pods.delete(p.id);
      if (job.state === "pending") writes.push(...this.setState(job, "running", now));
    }
    return writes;
  }

  fetchTask(req: FetchTaskRequest, now: number): FetchTaskReply {
    const job = this.jobs.get(req.jobId);
    const base = { epoch: this.epoch, version: 0, podJson: "", intervalMs: 1000, stopTimeout: "" };
    if (!job || job.state === "destroying" || job.state === "finished") {
      if (job) this.recordReport(req, job.id, now);
      return { ...base, command: "terminate", stopTimeout: String(job?.spec.deploy.stopTimeout ?? 10_000) };
    }
    this.recordReport(req, job.id, now);
    const plan = podPlanOf(job.id, job.version, job.spec);
    return { ...base, command: "start", version: job.version, podJson: JSON.stringify(plan), stopTimeout: String(plan.stopTimeout) };
  }

  private recordReport(req: FetchTaskRequest, jobId: string, now: number): void {
    const pod = this.podFor(req.podId, jobId, now);
    pod.reported = true;
    pod.state = (req.state || "starting") as PodState;
    pod.tasks = req.tasks;
    pod.version = req.version;
    pod.restarts = req.tasks.reduce((s, t) => s + t.restarts, 0);
    const failed = req.tasks.find((t) => t.state === "failed" || (t.exitCode > 0 && t.message));
    pod.lastError = failed?.message ?? "";
    pod.startedAt = Math.min(...req.tasks.map((t) => t.startedAt || Infinity).concat(pod.startedAt || Infinity)) || 0;
    if (!Number.isFinite(pod.startedAt)) pod.startedAt = 0;
    if (req.agent) pod.agent = req.agent;
    pod.updatedAt = now;
  }

  private podFor(id: string, jobId: string, now: number): PodRec {
    let p = this.pods.get(id);
    if (!p) {
      p = {
        id, jobId, containerId: id, agent: "", state: "pending", version: 0, restarts: 0, lastError: "",
        usage: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 }, startedAt: 0, tasks: [], ports: [],
        updatedAt: now, containerState: "", reported: false,
      };
      this.pods.set(id, p);
    }
    return p;
  }

  podsOf(jobId: string): PodRec[] {
    const out: PodRec[] = [];
    for (const p of this.pods.values()) if (p.jobId === jobId) out.push(p);
    return out.sort((a, b) => podIndex(a.id) - podIndex(b.id));
  }

  jobView(job: JobRecord): Job {
    const pods = this.podsOf(job.id);
    const count = (...states: string[]) => pods.filter((p) => states.includes(p.state)).length;
    return {
      id: job.id, name: job.spec.name, jobType: job.spec.type, user: job.user, state: job.state,
      specJson: JSON.stringify(job.spec), version: job.version, createdAt: job.createdAt, updatedAt: job.updatedAt,
      replica: job.spec.deploy.replica, running: count("running"), pending: count("pending"),
      deploying: count("deploying", "starting"), dead: count("lost", "terminated", "stopping"), failed: count("failed"),
      finished: count("finished"), resources: podResources(job.spec), message: job.message,
      prevSpecJson: job.prevSpec ? JSON.stringify(job.prevSpec) : "", updated: pods.filter((p) => p.version === job.version).length,
    };
  }
}

function hintState(containerState: string, agent: string): PodState {
  if (!agent) return "pending";
  if (containerState === "lost") return "lost";
  return "deploying";
}

const podIndex = (id: string) => Number(id.slice(id.lastIndexOf(".") + 1));
