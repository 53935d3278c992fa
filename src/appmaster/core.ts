// AppMasterCore: jobs (hard: every change comes back as a write the shell commits before acting) and pods (soft,
// rebuilt from ResMan's hints and workers' reports). Pure: time and randomness come in as arguments; every input
// returns an Out = what to persist (writes, events) and what to ask of ResMan (moves), in that order.
//
//   user actions (submit, update, scale, recover, remove) ──► job record ──► writes
//   hints (ResMan) ──► pod.agent, ports, lost ──► events
//   FetchTask (worker) ──► pod state, version, tasks ──► plan(job, pods, now) ──► reply: start|rebuild|reload|none|terminate
//   tick ──► plan every job: pacing, timeouts, failure policy, batch finish ──► writes, events, moves
import { AmbiguousError, ConflictError, InvalidError, NotFoundError } from "../core/errors.ts";
import type { JobSpec } from "../core/jobspec.ts";
import { podPlanOf } from "../core/pod-plan.ts";
import type { ContainerInfo, FetchTaskReply, FetchTaskRequest, Hint, Job, Pod, TaskStatus } from "../rpc/types.ts";
import { isBatch, newJobId, newJobRecord, transition, type JobRecord } from "./jobs.ts";
import { nextDeadline, plan, type Move, type PlanResult, type PodView } from "./planner.ts";
import {
  applyHint, isStale, isStaleCopy, newPod, podTruth, podView, recordReport, resetAfterMove, staleCopyCommand, StaleReports,
  type PodEvent, type PodRec,
} from "./pods.ts";
import { jobView } from "./views.ts";
import { recordVersion, specOfVersion } from "./history.ts";
import { applyUpdateAction, rollbackTo, scaleJob, startUpdate, type Classification, type UpdateAction } from "./rollout.ts";
import { PodTable } from "./pod-table.ts";
import { placementChanges, type PlacementRec } from "./placements.ts";
import { allHints, type HintNews, type HintsCache } from "./hints-cache.ts";
import { oldCopyCommand, VoluntaryMoves } from "./voluntary.ts";

export type { PodRec } from "./pods.ts";

export interface JobWrite {
  key: string;
  value: JobRecord | null;
  /** The record in memory before this write (null: none): what `undo` puts back when the commit fails. */
  prev?: JobRecord | null;
}

export interface NewEvent {
  jobId: string;
  podId: string;
  kind: string;
  message: string;
  at: number;
}

export interface MoveOrder extends Move {
  jobId: string;
  /** A move ResMan asked for (drain, lost label, pool), within the disruption budget: make-before-break. */
  voluntary?: boolean;
}

export interface Out {
  writes: JobWrite[];
  events: NewEvent[];
  moves: MoveOrder[];
}

export interface CoreOptions {
  /** A pod whose agent went silent is replaced elsewhere after this long (appmaster --pod-lost-timeout). */
  podLostTimeout: number;
  blacklistTtl: number;
  maxMoves: number;
  /** After taking over: only listen (hints, reports) this long before commanding any pod. */
  warmupMs: number;
  /** After a move: hints still naming the old agent are ignored this long (a GetHints answered before the move). */
  moveGraceMs: number;
  /** Reuse a job's plan that changed nothing while its inputs stay the same (false: plan every time; for tests). */
  planCache?: boolean;
}

export const DEFAULT_CORE_OPTIONS: CoreOptions = {
  podLostTimeout: 60_000, blacklistTtl: 5 * 60_000, maxMoves: 2, warmupMs: 3_000, moveGraceMs: 2_000,
};

export const emptyOut = (): Out => ({ writes: [], events: [], moves: [] });

/** A finished batch job keeps its name until it is removed (its results stay readable until then). */
export const finishedTaken = (j: JobRecord): ConflictError =>
  new ConflictError(`job ${j.spec.name} (${j.id}) has finished; remove it (\`galaxy remove ${j.id}\`) to run the file again`);

export class AppMasterCore {
  readonly jobs = new Map<string, JobRecord>();
  readonly pods = new PodTable((jobId) => this.changed(jobId));
  /** ResMan's marks (drain, lost label, pool) and the moves each job's disruption budget allows (voluntary.ts). */
  readonly voluntary = new VoluntaryMoves();
  /**
   * Each job's last plan that changed nothing (same job, no moves, no events), good until `until` (nextDeadline) or
   * until the job or one of its pods changes (`dirty`): a tick and every worker's FetchTask reuse it instead of
   * planning the job's pods again (bench B14).
   */
  private readonly plans = new Map<string, { job: JobRecord; result: PlanResult; until: number }>();
  private readonly dirty = new Set<string>();
  private readonly generations = new Map<string, number>(); // grows whenever the job or one of its pods' views changes

  /** A number that grows whenever a job or one of its pods' views changes (a waiting FetchTasks wakes on it). */
  generation(jobId: string): number {
    return this.generations.get(jobId) ?? 0;
  }
  /** Plans computed (not taken from the cache): what a test or a benchmark counts. */
  plansMade = 0;
  /** Jobs whose naming document (their pods' endpoints) may have changed since takeNamingNews (null: every job). */
  private namingNews: Set<string> | null = null;
  /**
   * Pods to apply their hint to again at the next incremental round although their group's hint did not change:
   * one a worker created by reporting (no hint may name it), one moved (its stale agents expire), one ResMan says is
   * lost (it turns lost after a silence), one placed nowhere (its last error is the hint's, a worker may overwrite it).
   */
  private readonly reapply = new Set<string>();
  /** Pods whose placement (agent, ports) may have changed since takePlacementNews (null: any), and whether jobs went. */
  private placementNews: Set<string> | null = null;
  private jobsGone = true;
  private readonly warmUntil: number;
  /** Pods whose worker's last report goes stale: tick names their jobs (their naming documents then say down). */
  private readonly staleReports = new StaleReports();

  constructor(
    readonly epoch: number,
    jobs: JobRecord[],
    now = 0,
    readonly opts: CoreOptions = DEFAULT_CORE_OPTIONS,
  ) {
    for (const j of jobs) this.jobs.set(j.id, j);
    this.warmUntil = now + opts.warmupMs;
  }

  // ───────── user actions ─────────

  submit(spec: JobSpec, user: string, now: number, suffix: string): { job: JobRecord; out: Out } {
    const taken = this.byName(spec.name, user);
    if (taken?.state === "finished") throw finishedTaken(taken);
    if (taken) {
      throw new ConflictError(`job ${spec.name} exists (${taken.id}); change it with \`galaxy apply -f FILE\` or \`galaxy update ${spec.name} -f FILE\`, or remove it first`);
    }
    const job = newJobRecord(newJobId(spec.name, now, suffix), spec, user, now);
    const out = this.put(job);
    this.event(out, job.id, "", "submit", `submitted by ${user}: ${spec.deploy.replica} × ${spec.type}`, now);
    return { job, out };
  }

  /** A user's job of this name not being removed: names are unique per user (apply finds the job by it). */
  byName(name: string, user: string): JobRecord | undefined {
    return [...this.jobs.values()].find((j) => j.spec.name === name && j.user === user && j.state !== "destroying");
  }

  remove(ref: string, now: number): { job: JobRecord; out: Out } {
    const job = this.resolve(ref);
    const out = this.put(transition(job, "destroying", now));
    this.event(out, job.id, "", "remove", "removing: pods get their stop command, then the group is released", now);
    return { job: this.jobs.get(job.id)!, out };
  }

  update(ref: string, spec: JobSpec, breakAfter: number, now: number, user = ""): { job: JobRecord; before: JobRecord; kind: Classification; out: Out } {
    const before = this.resolve(ref);
    const started = startUpdate(before, spec, breakAfter, now);
    const kind = started.kind;
    const job = started.job.version === before.version ? started.job : { ...started.job, history: recordVersion(started.job, before.spec, user, kind, now) };
    const out = job === before ? emptyOut() : this.put(job);
    const what = job.rollout && job !== before && job.rollout.toVersion === job.version
      ? `${kind} from version ${job.rollout.fromVersion} to ${job.version}, step ${spec.deploy.step}` : kind;
    if (job !== before) this.event(out, job.id, "", "update", `update accepted: ${what}`, now);
    return { job, before, kind, out };
  }

  updateAction(ref: string, action: UpdateAction, breakAfter: number, now: number, user = "", toVersion = 0): { job: JobRecord; out: Out } {
    const before = this.resolve(ref);
    const updated = this.podsOf(before.id).filter((p) => p.version === before.version && p.state === "running").length;
    const changed = action === "rollback" && toVersion ? rollbackTo(before, specOfVersion(before, toVersion), toVersion, now)
      : applyUpdateAction(before, action, breakAfter, updated, now);
    const job = action === "rollback" ? { ...changed, history: recordVersion(changed, before.spec, user, `rollback to ${changed.version}`, now) } : changed;
    const out = this.put(job);
    this.event(out, job.id, "", "update", action === "rollback" ? job.message : `update ${action}${action === "continue" && breakAfter ? ` (break after ${breakAfter} more)` : ""}`, now);
    return { job, out };
  }

  scale(ref: string, replica: number, now: number): { job: JobRecord; before: JobRecord; out: Out } {
    const before = this.resolve(ref);
    const job = scaleJob(before, replica, now);
    const out = this.put(job);
    this.event(out, job.id, "", "scale", `replica ${before.spec.deploy.replica} -> ${replica}`, now);
    return { job, before, out };
  }

  /** Puts a record back as it was (ResMan refused the change it made). */
  restore(before: JobRecord): Out {
    return this.put(before);
  }

  /** galaxy recover: the pod's worker re-deploys and restarts its tasks in place, once. */
  recover(jobRef: string, podRef: string, now: number): { pod: PodRec; out: Out } {
    const job = this.resolve(jobRef);
    if (job.state === "destroying" || job.state === "finished") throw new ConflictError(`job ${job.id} is ${job.state}; its pods cannot be recovered`);
    const pod = this.resolvePod(job.id, podRef);
    if (!pod.reported) throw new ConflictError(`pod ${pod.id} has no worker reporting; it cannot be rebuilt in place`);
    pod.pendingOp = `recover-${now}`;
    this.touch(pod);
    const { [pod.id]: _, ...moves } = job.moves;
    const out = this.put({ ...job, moves, updatedAt: now });
    this.event(out, job.id, pod.id, "recover", `rebuilding in place on ${pod.agent} at version ${job.version}`, now);
    return { pod, out };
  }

  /** ResMan refused the job's group (quota, permission): the reason shows on the job. */
  groupRefused(id: string, message: string, now: number): Out {
    const job = this.jobs.get(id);
    if (!job || job.message === message) return emptyOut();
    return this.put({ ...job, message, updatedAt: now });
  }

  /** The group is gone at ResMan (or was refused at submit): forget the job and its pods. */
  forget(id: string): Out {
    const prev = this.jobs.get(id) ?? null;
    this.jobs.delete(id);
    this.plans.delete(id);
    this.jobsGone = true;
    this.namingNews?.add(id);
    this.pods.deleteJob(id); // its ids left in `reapply` are skipped: the pods are gone
    this.voluntary.forget(id);
    this.dirty.delete(id); // nothing left to plan
    return { writes: [{ key: id, value: null, prev }], events: [], moves: [] };
  }

  /**
   * The commit of `out` failed: puts back every job record it changed, newest write first, where memory still holds
   * what the write put (a later change to the same job is left alone). A job's pods forgotten with it come back from
   * the next hints. Soft pod state (a recover's pending operation) is not undone.
   */
  undo(out: Out): void {
    for (let i = out.writes.length - 1; i >= 0; i--) {
      const w = out.writes[i]!;
      if (w.prev === undefined || (this.jobs.get(w.key) ?? null) !== w.value) continue;
      if (w.prev === null) {
        this.jobs.delete(w.key);
        this.pods.deleteJob(w.key);
        this.plans.delete(w.key);
        this.jobsGone = true;
      } else {
        this.jobs.set(w.key, w.prev);
        this.changed(w.key);
      }
      this.namingNews?.add(w.key);
    }
  }

  // ───────── inputs ─────────

  /** Every group's hint (a full GetHints, or the whole merged cache): pods no hint names are dropped. */
  applyHints(hints: Hint[], now: number): Out {
    const out = emptyOut();
    const hinted = new Set(hints.map((h) => h.groupId));
    for (const jobId of this.pods.jobIds()) if (!hinted.has(jobId)) this.pods.deleteJob(jobId); // a group without containers
    this.reapply.clear();
    this.placementNews = null;
    for (const h of hints) this.applyGroupHint(out, h, now);
    return out;
  }

  /**
   * The changes to make to the saved placements (AppMaster's hints for a later failover, placements.ts) since the
   * last call: only the pods whose agent or ports may have moved, unless every pod may have (after a full apply, or
   * when a job went and its saved placements are to be dropped).
   */
  savedPlacementChanges(saved: ReadonlyMap<string, PlacementRec>): { put: [string, PlacementRec][]; del: string[] } {
    const ids = this.placementNews;
    const every = ids === null || this.jobsGone;
    this.placementNews = new Set();
    this.jobsGone = false;
    const pods = every ? this.pods.values() : [...ids].flatMap((id) => this.pods.get(id) ?? []);
    return placementChanges(saved, pods, new Set(this.jobs.keys()), every);
  }

  /** The jobs whose naming document may have changed since the last call (null: every job). */
  takeNamingNews(): string[] | null {
    const ids = this.namingNews;
    this.namingNews = new Set();
    return ids && [...ids];
  }

  /** Applies the news of the merged hints (every group, or only what changed: see HintNews), and empties it. */
  applyNews(news: HintNews, cache: HintsCache, now: number): Out {
    const out = news.all ? this.applyHints(allHints(cache), now) : this.applyHintChanges(news.changed, news.removed, cache.groups, now);
    news.all = false;
    news.changed.clear();
    news.removed.clear();
    return out;
  }

  /**
   * Only what changed since the last apply (bench B13): the groups whose hint changed, the groups gone (by id), and
   * the pods whose unchanged hint still means something new (see `reapply`). `all` is every group's hint, as merged.
   * The outcome equals applyHints(all) (core-hints.test.ts checks it against the full apply, round by round).
   */
  applyHintChanges(changed: Iterable<string>, removed: Iterable<string>, all: ReadonlyMap<string, Hint>, now: number): Out {
    const out = emptyOut();
    for (const g of removed) if (!all.has(g)) this.pods.deleteJob(g);
    const again = [...this.reapply]; // this round notes the next round's
    this.reapply.clear();
    const done = new Set<string>();
    for (const g of changed) {
      const h = all.get(g);
      if (!h || done.has(g)) continue;
      done.add(g);
      this.applyGroupHint(out, h, now);
    }
    for (const id of again) {
      const p = this.pods.get(id);
      if (!p || done.has(p.jobId) || this.jobs.get(p.jobId)?.released.includes(id)) continue; // released: frozen, finished
      const h = all.get(p.jobId);
      if (h && !this.jobs.has(p.jobId)) continue; // as applyHints: a hinted group without a job is left alone
      const c = h ? containerOf(h, id) : undefined;
      if (!c) {
        this.pods.delete(id); // no hint names it (a worker reported a pod ResMan has no container for)
        continue;
      }
      this.addPodEvents(out, p.jobId, applyHint(p, c, now), now);
      this.addPodEvents(out, p.jobId, this.voluntary.noteHint(p, c), now);
      this.noteVolatile(p, c);
      this.placementNews?.add(p.id);
      this.touch(p);
    }
    for (const h of all.values()) {
      const job = this.jobs.get(h.groupId);
      if (job?.state === "pending") this.merge(out, this.put(transition(job, "running", now)));
    }
    return out;
  }

  private applyGroupHint(out: Out, h: Hint, now: number): void {
    const job = this.jobs.get(h.groupId);
    if (!job) return;
    const seen = new Set<string>();
    const released = new Set(job.released);
    for (const c of h.containers) {
      seen.add(c.id);
      if (released.has(c.id)) continue; // finished, its container given back: nothing a hint says changes it
      const p = this.podFor(c.id, job.id, now);
      this.addPodEvents(out, job.id, applyHint(p, c, now), now);
      this.addPodEvents(out, job.id, this.voluntary.noteHint(p, c), now);
      this.noteVolatile(p, c);
      this.touch(p);
      this.placementNews?.add(p.id);
    }
    for (const p of this.podsOf(job.id)) if (!seen.has(p.id) && !released.has(p.id)) this.pods.delete(p.id);
    this.keepReleased(job, now);
    if (job.state === "pending") this.merge(out, this.put(transition(job, "running", now)));
  }

  /** A pod whose unchanged hint may still change it later: time decides (stale agents, lost), or it is placed nowhere. */
  private noteVolatile(p: PodRec, c: ContainerInfo): void {
    if (p.staleAgents.length > 0 || c.state === "lost" || !p.agent) this.reapply.add(p.id);
  }

  fetchTask(req: FetchTaskRequest, now: number): { reply: FetchTaskReply; out: Out } {
    return this.task(req, now, true) as { reply: FetchTaskReply; out: Out };
  }

  /**
   * FetchTask's first half: records the worker's report (its events and writes in `out`) and answers what needs no
   * plan; a null reply means "call fetchTask after the reports arriving now are recorded" (the shell waits one
   * event-loop turn). Planning a job is O(its pods) and every report that changes a pod's view makes its job plan
   * again: 10,000 workers reporting one by one cost 10,000 plans (20 s at 10,000 pods); recorded together, one.
   */
  recordTask(req: FetchTaskRequest, now: number): { reply: FetchTaskReply | null; out: Out } {
    return this.task(req, now, false);
  }

  private task(req: FetchTaskRequest, now: number, planNow: boolean): { reply: FetchTaskReply | null; out: Out } {
    const out = emptyOut();
    const job = this.jobs.get(req.jobId);
    const stop = String(job?.spec.deploy.stopTimeout ?? 10_000);
    const reply = (command: string, extra: Partial<FetchTaskReply> = {}): { reply: FetchTaskReply; out: Out } => ({
      reply: { epoch: this.epoch, command, version: 0, podJson: "", intervalMs: 1000, stopTimeout: stop, opId: "", ...extra }, out,
    });
    if (!job || job.state === "finished") return reply("terminate"); // a finished job's pods are gone: record none
    if (job.released.includes(req.podId)) return reply("terminate"); // finished, its container given back: record none
    const pod = this.podFor(req.podId, job.id, now);
    if (!pod.agent) this.reapply.add(pod.id);
    if (isStaleCopy(pod, req.agent)) return reply(oldCopyCommand(pod, req.agent, !isBatch(job.spec)));
    const before = podView(pod);
    const tasksBefore = pod.tasks;
    const wasStale = isStale(pod, now);
    this.addPodEvents(out, job.id, recordReport(pod, req, now), now);
    this.staleReports.reported(pod.id, now);
    if (!sameView(before, podView(pod))) this.touch(pod);
    else if (wasStale || !sameHealth(tasksBefore, pod.tasks)) this.namingNews?.add(job.id); // what naming files show of its tasks
    if (job.state === "destroying") return reply("terminate");
    if (now < this.warmUntil) return reply("none", { intervalMs: 500 });
    const podJson = () => JSON.stringify(podPlanOf(job.id, job.version, job.spec));
    if (pod.pendingOp) return reply("rebuild", { version: job.version, podJson: podJson(), opId: pod.pendingOp, intervalMs: 300 });
    if (!planNow) return { reply: null, out };
    const r = this.planJob(job, now, out);
    const cmd = r.commands.get(pod.id) ?? { command: "none", version: job.version };
    const busy = cmd.command !== "none" || (pod.state !== "running" && pod.state !== "finished") || r.job.state === "updating";
    if (cmd.command === "terminate") return reply("terminate");
    return reply(cmd.command, { version: cmd.version, podJson: cmd.command === "none" ? "" : podJson(), intervalMs: busy ? 300 : 1000 });
  }

  /** Time passes: pacing, deploy timeouts, lost pods, failure policy, batch completion, for every job. */
  tick(now: number): Out {
    const out = emptyOut();
    this.noteStaleReports(now);
    if (now < this.warmUntil) return out;
    for (const job of [...this.jobs.values()]) {
      if (job.state === "destroying") continue;
      const r = this.planJob(job, now, out);
      for (const m of r.moves) out.moves.push({ ...m, jobId: job.id });
      for (const m of this.voluntary.orders(r.job, this.podsOf(job.id))) out.moves.push({ ...m, jobId: job.id });
    }
    return out;
  }

  /** ResMan rescheduled the container of a move: the pod starts over elsewhere; its old copy is surplus. */
  moved(m: MoveOrder, now: number): Out {
    const out = emptyOut();
    const pod = this.pods.get(m.pod);
    if (pod && !this.jobs.get(m.jobId)?.released.includes(pod.id)) {
      resetAfterMove(pod, m.agent, now, this.opts.moveGraceMs);
      this.reapply.add(pod.id);
      this.touch(pod);
      this.placementNews?.add(pod.id);
    }
    const job = this.jobs.get(m.jobId);
    if (!job) return out;
    const what = m.voluntary ? `moving off ${m.agent} (${m.reason}): a replacement starts elsewhere; the old copy stops once it runs healthy` : `moved off ${m.agent}: ${m.reason}`;
    this.event(out, job.id, m.pod, m.recreate ? "update" : m.voluntary ? "move" : "failover", what, now);
    if (m.recreate && job.step) {
      const pods = job.step.pods.map((sp) => (sp.id === m.pod && sp.action === "recreate" ? { ...sp, moved: true } : sp));
      this.merge(out, this.put({ ...job, step: { ...job.step, pods } }));
    } else if (job.moves[m.pod]?.agent === m.agent) {
      this.merge(out, this.put({ ...job, moves: { ...job.moves, [m.pod]: { ...job.moves[m.pod]!, agent: "" } } }));
    }
    return out;
  }

  /** Destroying jobs whose workers have all stopped (or whose stop grace has passed) can release their group. */
  readyToRelease(now: number, graceMs: number): JobRecord[] {
    return [...this.jobs.values()].filter((j) => {
      if (j.state !== "destroying") return false;
      const live = this.podsOf(j.id).filter((p) => p.reported && !["terminated", "finished", "failed", "pending"].includes(p.state));
      return live.length === 0 || now - j.destroyingSince > j.spec.deploy.stopTimeout + graceMs;
    });
  }

  /** Pods whose worker's last report went stale since the last tick: their jobs' naming documents change. */
  private noteStaleReports(now: number): void {
    for (const id of this.staleReports.takeDue(now)) {
      const p = this.pods.get(id);
      if (p && isStale(p, now)) this.namingNews?.add(p.jobId);
    }
  }

  // ───────── views ─────────

  /** A job's pods as clients and naming files see them at `now` (pods.ts podTruth). */
  podsNow(jobId: string, now: number): Pod[] {
    return this.podsOf(jobId).map((p) => podTruth(p, now));
  }

  /** A job as clients see it at `now`: counts and status from its pods as they are (views.ts). */
  viewJob(job: JobRecord, now: number, brief = false): Job {
    return jobView(job, this.podsOf(job.id), now, brief, this.opts);
  }

  // ───────── lookups ─────────

  /**
   * Resolves an id, a unique id prefix, or a unique job name, among the jobs `visible` admits (the caller's: a prefix
   * or a name is matched, and an ambiguity listed, only among the jobs it may list). An empty reference is refused:
   * the empty prefix matches every job.
   */
  resolve(ref: string, visible: (j: JobRecord) => boolean = () => true): JobRecord {
    if (ref.trim() === "") throw new InvalidError("a job id or name is required (an empty one would match every job)");
    const exact = this.jobs.get(ref);
    if (exact) return exact;
    const seen = [...this.jobs.values()].filter(visible);
    const byPrefix = seen.filter((j) => j.id.startsWith(ref)).map((j) => j.id);
    if (byPrefix.length === 1) return this.jobs.get(byPrefix[0]!)!;
    const byName = seen.filter((j) => j.spec.name === ref).map((j) => j.id);
    if (byName.length === 1) return this.jobs.get(byName[0]!)!;
    const candidates = byPrefix.length ? byPrefix : byName;
    if (candidates.length > 1) throw new AmbiguousError("job", ref, candidates.sort());
    throw new NotFoundError("job", ref);
  }

  /** A pod by id, unique id prefix, or index ("web.2", "2"). */
  resolvePod(jobId: string, ref: string): PodRec {
    if (ref.trim() === "") throw new InvalidError("a pod id is required (an empty one would match every pod)");
    const pods = this.podsOf(jobId);
    const exact = pods.find((p) => p.id === ref || p.id === `${jobId}.${ref}` || p.id.endsWith(`.${ref}`) && /^\d+$/.test(ref));
    if (exact) return exact;
    const matches = pods.filter((p) => p.id.startsWith(ref));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new AmbiguousError("pod", ref, matches.map((p) => p.id));
    throw new NotFoundError("pod", ref);
  }

  /** A job's pods, by index. */
  podsOf(jobId: string): PodRec[] {
    return this.pods.ofJob(jobId);
  }

  // ───────── internals ─────────

  private planJob(job: JobRecord, now: number, out: Out): PlanResult {
    const cached = this.plans.get(job.id);
    if (cached && cached.job === job && now < cached.until && !this.dirty.has(job.id)) return cached.result;
    const views = this.podsOf(job.id).map(podView);
    const r = plan(job, views, now, this.opts);
    this.plansMade++;
    this.dirty.delete(job.id);
    const quiet = r.job === job && r.moves.length === 0 && r.events.length === 0;
    if (quiet && this.opts.planCache !== false) this.plans.set(job.id, { job, result: r, until: nextDeadline(job, views, now, this.opts) });
    else this.plans.delete(job.id);
    if (r.job !== job) this.merge(out, this.put(r.job));
    for (const e of r.events) this.event(out, job.id, e.pod, e.kind, e.message, now);
    return r;
  }

  /** Something a pod's view shows (podView) may have changed: its job is planned again. */
  private touch(p: PodRec): void {
    this.changed(p.jobId);
  }

  private changed(jobId: string): void {
    this.generations.set(jobId, (this.generations.get(jobId) ?? 0) + 1);
    this.dirty.add(jobId);
    this.namingNews?.add(jobId);
  }

  private put(job: JobRecord): Out {
    const prev = this.jobs.get(job.id) ?? null;
    this.jobs.set(job.id, job);
    this.namingNews?.add(job.id);
    return { writes: [{ key: job.id, value: job, prev }], events: [], moves: [] };
  }

  private merge(into: Out, from: Out): void {
    into.writes.push(...from.writes);
    into.events.push(...from.events);
    into.moves.push(...from.moves);
  }

  private event(out: Out, jobId: string, podId: string, kind: string, message: string, at: number): void {
    out.events.push({ jobId, podId, kind, message, at });
  }

  private addPodEvents(out: Out, jobId: string, events: PodEvent[], now: number): void {
    for (const e of events) this.event(out, jobId, e.podId, e.kind, e.message, now);
  }

  /**
   * A batch job's released pods (finished, their containers given back): no hint names them any more; they stay,
   * finished (made again so after a failover: where they ran is then unknown; `galaxy logs` finds their kept workspace).
   */
  private keepReleased(job: JobRecord, now: number): void {
    for (const id of job.released) {
      if (this.pods.get(id)) continue;
      this.pods.add(Object.assign(newPod(id, job.id, now), { state: "finished", reported: true, containerState: "released" }));
      this.touch(this.pods.get(id)!);
    }
  }

  private podFor(id: string, jobId: string, now: number): PodRec {
    let p = this.pods.get(id);
    if (!p) {
      this.pods.add((p = newPod(id, jobId, now)));
      this.reapply.add(id);
    }
    return p;
  }
}

/** A hint's containers by id, built once per hint object (a changed group comes as a new one). */
const containersById = new WeakMap<Hint, Map<string, ContainerInfo>>();
function containerOf(h: Hint, id: string): ContainerInfo | undefined {
  let m = containersById.get(h);
  if (!m) containersById.set(h, (m = new Map(h.containers.map((c) => [c.id, c]))));
  return m.get(id);
}

function sameView(a: PodView, b: PodView): boolean {
  for (const k in a) if (a[k as keyof PodView] !== b[k as keyof PodView]) return false;
  return true;
}

/** Its tasks as a naming file shows them (services.ts): running or not, healthy or not. */
function sameHealth(a: readonly TaskStatus[], b: readonly TaskStatus[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name || x.state !== y.state || x.healthy !== y.healthy) return false;
  }
  return true;
}
