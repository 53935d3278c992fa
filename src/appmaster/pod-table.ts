// AppMaster's pods, by id and by job. Every worker's FetchTask plans its job, every tick plans every job and every
// listing counts each job's pods: with the pods of one job at hand (sorted by index, cached until that job's set
// changes) each of those costs the job's pods, not the whole cluster's.
import { podIndex, type PodRec } from "./pods.ts";

interface JobPods {
  pods: Map<string, PodRec>;
  /** By index; null after a pod came or went. */
  sorted: PodRec[] | null;
}

export class PodTable {
  private readonly byId = new Map<string, PodRec>();
  private readonly byJob = new Map<string, JobPods>();

  /** changed: a job's set of pods changed (one came or went). */
  constructor(private readonly changed: (jobId: string) => void = () => {}) {}

  get size(): number {
    return this.byId.size;
  }

  get(id: string): PodRec | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<PodRec> {
    return this.byId.values();
  }

  jobIds(): string[] {
    return [...this.byJob.keys()];
  }

  add(p: PodRec): void {
    if (this.byId.has(p.id)) throw new Error(`invariant: pod ${p.id} added twice`);
    this.byId.set(p.id, p);
    let j = this.byJob.get(p.jobId);
    if (!j) this.byJob.set(p.jobId, (j = { pods: new Map(), sorted: null }));
    j.pods.set(p.id, p);
    j.sorted = null;
    this.changed(p.jobId);
  }

  delete(id: string): boolean {
    const p = this.byId.get(id);
    if (!p) return false;
    this.byId.delete(id);
    const j = this.byJob.get(p.jobId)!;
    j.pods.delete(id);
    j.sorted = null;
    if (j.pods.size === 0) this.byJob.delete(p.jobId);
    this.changed(p.jobId);
    return true;
  }

  deleteJob(jobId: string): void {
    const j = this.byJob.get(jobId);
    if (!j) return;
    for (const id of j.pods.keys()) this.byId.delete(id);
    this.byJob.delete(jobId);
    this.changed(jobId);
  }

  /** A job's pods by index (a fresh array the caller may keep). */
  ofJob(jobId: string): PodRec[] {
    const j = this.byJob.get(jobId);
    if (!j) return [];
    j.sorted ??= [...j.pods.values()].sort((a, b) => podIndex(a.id) - podIndex(b.id));
    return j.sorted.slice();
  }
}
