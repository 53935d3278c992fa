// The deploy/update controller, pure: plan(job, pods, now) -> a command per pod, moves to ask of ResMan, and the
// changed job record (the caller persists it before acting). Nothing here reads the clock or does I/O.
//
//   given up?        a pod failed for good (failedForGood) ──► said once, in an event
//   finish? (batch: every pod finished or failed for good) ──► finished, containers released
//   release? (batch, still running: a pod finished) ──► its container released now (GroupSpec.released)
//   ready?           the first time `replica` pods run: readyAt (fewer later is degraded, not deploying)
//   settle the step: pods running the target leave it; a failed or late one pauses the update (in place)
//                    or is moved to another agent (a new pod)
//   failure policy:  failed pod (its worker or its agent says so) ──► move + blacklist its agent
//                    placed, no worker report past deploy_timeout from placement ──► move + blacklist
//                    lost past pod_lost_timeout ──► move
//   rollout:         nothing left ──► running │ break point reached ──► update_paused
//   admit:           fresh pods first, then pods on an older version, while fewer than `step` are in flight;
//                    with an interval, a step starts only `interval` after the previous one settled
//   commands:        a pod in the step gets start|rebuild|reload <version>; every other pod: none
import { formatDuration } from "../core/units.ts";
import type { PodState } from "../rpc/types.ts";
import { isBatch, transition, type JobRecord, type Step, type StepAction, type StepPod } from "./jobs.ts";

export interface PodView {
  id: string;
  agent: string;
  state: PodState;
  /** The version its worker runs or is deploying (0: no plan yet). */
  version: number;
  reported: boolean;
  lostSince: number;
  lastError: string;
  /** Task restarts so far: a pod whose first start crashed is no longer deploying (its restart policy has it). */
  restarts: number;
  /** A user operation (recover) is pending on it: the failure policy leaves it alone. */
  busy: boolean;
  /** When its container was placed on `agent` (0: not placed): deploy_timeout of a pod whose worker never reports. */
  placedAt: number;
  /** Unplaced only because every agent it may use is on the job's blacklist: it has nowhere left to try. */
  blocked: boolean;
}

export interface PlanOptions {
  podLostTimeout: number;
  blacklistTtl: number;
  /** Failure-policy moves per pod; past them a failed pod stays failed where it is. */
  maxMoves: number;
}

export type CommandName = "none" | "start" | "rebuild" | "reload" | "terminate";
export interface PodCommand {
  command: CommandName;
  version: number;
}

export interface Move {
  pod: string;
  agent: string;
  reason: string;
  /** Put the agent on the job's blacklist first (the pod failed or stalled there). */
  blacklist: boolean;
  /** An update that recreates containers: the step entry is marked moved once ResMan accepted. */
  recreate: boolean;
}

export interface PlanEvent {
  pod: string;
  kind: string;
  message: string;
}

export interface PlanResult {
  job: JobRecord;
  commands: Map<string, PodCommand>;
  moves: Move[];
  events: PlanEvent[];
}

interface Ctx {
  pods: PodView[];
  byId: Map<string, PodView>;
  now: number;
  opts: PlanOptions;
  moves: Move[];
  events: PlanEvent[];
}

export function plan(job: JobRecord, pods: PodView[], now: number, opts: PlanOptions): PlanResult {
  const ctx: Ctx = { pods, byId: new Map(pods.map((p) => [p.id, p])), now, opts, moves: [], events: [] };
  let j = job;
  if (j.state !== "destroying" && j.state !== "finished") {
    j = expireBlacklist(j, now);
    j = noteGivenUp(j, ctx);
    j = maybeFinish(j, ctx);
    j = releaseFinished(j, ctx);
  }
  if (j.state === "destroying" || j.state === "finished") {
    const commands = new Map(pods.map((p) => [p.id, { command: "terminate" as const, version: j.version }]));
    return { job: j, commands, moves: [], events: ctx.events };
  }
  j = noteReady(j, ctx);
  j = settleStep(j, ctx);
  j = failurePolicy(j, ctx);
  j = advanceRollout(j, ctx);
  j = admit(j, ctx);
  return { job: j, commands: commandsFor(j, ctx), moves: ctx.moves, events: ctx.events };
}

// ───────── time rules ─────────
// Every rule of this file that turns on `now` fires at a time computed by one of these functions: the rule tests
// `now >= t` (or `now < t` while it holds), and nextDeadline is the earliest of TIME_RULES' times after now. A rule
// added without its entry in TIME_RULES fails planner-time.test.ts (its table must name every entry).

/** A blacklist entry holds while now < this. */
const blacklistEndsAt = (b: { until: number }) => b.until;
/** A step pod still pending at this time is late (now - at > deploy_timeout, in whole ms). */
const stepPodLateAt = (j: JobRecord, sp: StepPod) => sp.at + j.spec.deploy.deployTimeout + 1;
/** A lost pod is moved off its silent agent from this time on. */
const lostTimeoutAt = (p: PodView, opts: PlanOptions) => p.lostSince + opts.podLostTimeout;
/** A placed pod whose worker never reported is moved from this time on. */
const notStartedAt = (j: JobRecord, p: PodView) => p.placedAt + j.spec.deploy.deployTimeout + 1;
/** The next step may start at this time (deploy.interval after the last one settled). */
const intervalEndsAt = (j: JobRecord, step: Step) => step.doneAt + j.spec.deploy.interval;

export interface TimeRule {
  name: string;
  /** The times at which the rule may fire for this job and its pods (a superset is harmless: it only wakes early). */
  times(j: JobRecord, pods: readonly PodView[], opts: PlanOptions): number[];
}

export const TIME_RULES: readonly TimeRule[] = [
  { name: "blacklist expiry", times: (j) => j.blacklist.map(blacklistEndsAt) },
  { name: "step deploy_timeout", times: (j) => (j.step?.pods ?? []).map((sp) => stepPodLateAt(j, sp)) },
  { name: "pod_lost_timeout", times: (_j, pods, opts) => pods.filter((p) => p.lostSince).map((p) => lostTimeoutAt(p, opts)) },
  { name: "deploy_timeout after placement", times: (j, pods) => pods.filter(neverReported).map((p) => notStartedAt(j, p)) },
  { name: "step interval", times: (j) => (j.step && j.spec.deploy.interval > 0 ? [intervalEndsAt(j, j.step)] : []) },
];

/**
 * The earliest time at which `now` alone could make plan(job, pods) decide differently: the earliest time of a
 * TIME_RULES entry after now. Until then a plan that changed nothing (same job, no moves, no events) stays right for
 * the same job and pods (AppMasterCore caches it).
 */
export function nextDeadline(job: JobRecord, pods: readonly PodView[], now: number, opts: PlanOptions): number {
  let at = Infinity;
  for (const rule of TIME_RULES) for (const t of rule.times(job, pods, opts)) if (t > now && t < at) at = t;
  return at;
}

// ───────── outcomes ─────────

type Outcome = "ok" | "failed" | "pending";

function outcome(p: PodView | undefined, target: number, batch: boolean): Outcome {
  if (!p) return "ok"; // gone (scaled down, moved): nothing to wait for
  if (p.version !== target) return "pending";
  if (p.state === "running" || (batch && p.state === "finished")) return "ok";
  return p.state === "failed" ? "failed" : "pending";
}

const runsTarget = (j: JobRecord, p: PodView) => outcome(p, j.version, isBatch(j.spec)) === "ok";

function movesExhausted(j: JobRecord, p: Pick<PodView, "id" | "agent">, opts: Pick<PlanOptions, "maxMoves">): boolean {
  const m = j.moves[p.id];
  return (m?.count ?? 0) >= opts.maxMoves && m?.agent !== p.agent;
}

/**
 * The failure policy gave up on it: failed with its moves used up (it stays failed where it is), or failed before
 * and now unplaceable but on agents of the job's blacklist. A batch job ends when every pod finished or gave up.
 */
export function failedForGood(j: JobRecord, p: { id: string; agent: string; state: string; blocked: boolean }, opts: Pick<PlanOptions, "maxMoves">): boolean {
  if (p.agent) return p.state === "failed" && movesExhausted(j, p, opts);
  return p.blocked && (j.moves[p.id]?.count ?? 0) > 0;
}

/** Placed, not lost, and no worker has reported from it: its deploy_timeout counts from the placement. */
const neverReported = (p: PodView) => !!p.agent && !p.reported && !p.lostSince && p.placedAt > 0 && p.state !== "failed";

/** A worker without a plan reports pending (version 0); these states mean it will not start anything. */
const ENDED: PodState[] = ["failed", "finished", "stopping", "terminated", "lost"];

const indexOf = (id: string) => Number(id.slice(id.lastIndexOf(".") + 1));
const byIndex = (a: PodView, b: PodView) => indexOf(a.id) - indexOf(b.id);

// ───────── stages ─────────

function expireBlacklist(j: JobRecord, now: number): JobRecord {
  const blacklist = j.blacklist.filter((b) => now < blacklistEndsAt(b));
  return blacklist.length === j.blacklist.length ? j : { ...j, blacklist };
}

/** Says once (an event, the mark kept in `moves`) when the failure policy gives up on a pod, and why. */
function noteGivenUp(j: JobRecord, ctx: Ctx): JobRecord {
  for (const p of ctx.pods) {
    const m = j.moves[p.id];
    if (!m || m.gaveUp || p.busy || !failedForGood(j, p, ctx.opts)) continue;
    const why = p.agent
      ? `moved ${m.count} times, it stays failed on ${p.agent}: ${p.lastError || "no reason given"}`
      : `no agent left to try but those on the job's blacklist: ${p.lastError || "no reason given"}`;
    ctx.events.push({ pod: p.id, kind: "failed", message: `the failure policy gave up: ${why}` });
    j = { ...j, moves: { ...j.moves, [p.id]: { ...m, gaveUp: true } } };
  }
  return j;
}

/** Batch: finished when every pod finished or failed for good; the caller then releases the containers. */
function maybeFinish(j: JobRecord, ctx: Ctx): JobRecord {
  if (!isBatch(j.spec) || ctx.pods.length < j.spec.deploy.replica) return j;
  const done = (p: PodView) => (p.reported && p.state === "finished") || failedForGood(j, p, ctx.opts);
  if (!ctx.pods.every(done)) return j;
  const succeeded = ctx.pods.filter((p) => p.state === "finished").length;
  const failed = ctx.pods.length - succeeded;
  const message = `${succeeded} pods succeeded, ${failed} failed`;
  ctx.events.push({ pod: "", kind: "finished", message: `job finished: ${message}; releasing its containers` });
  return { ...transition(j, "finished", ctx.now), result: { succeeded, failed }, finishedAt: ctx.now, step: null, message };
}

/**
 * Batch, still running: a pod that finished gives its container back at once (ResMan revokes it and places no other
 * for it; its agent keeps the workspace, so its logs stay readable). The pod stays, finished.
 */
function releaseFinished(j: JobRecord, ctx: Ctx): JobRecord {
  if (!isBatch(j.spec) || j.state === "finished") return j;
  const released = new Set(j.released);
  const now = ctx.pods.filter((p) => p.reported && p.state === "finished" && p.agent !== "" && !released.has(p.id));
  if (now.length === 0) return j;
  for (const p of now) ctx.events.push({ pod: p.id, kind: "released", message: `finished: its container on ${p.agent} is released` });
  return { ...j, released: [...j.released, ...now.map((p) => p.id)] };
}

/** The first time `replica` pods run: from then on fewer is degraded, not deploying (job-status.ts). */
function noteReady(j: JobRecord, ctx: Ctx): JobRecord {
  if (j.readyAt > 0) return j;
  const up = ctx.pods.filter((p) => p.state === "running" || (isBatch(j.spec) && p.state === "finished")).length;
  return up >= j.spec.deploy.replica && up > 0 ? { ...j, readyAt: ctx.now } : j;
}

/** Drops settled pods from the step; a failed or late pod leaves it too (to the failure policy, or pausing the update). */
function settleStep(j: JobRecord, ctx: Ctx): JobRecord {
  if (!j.step || j.step.pods.length === 0) return j;
  const keep: StepPod[] = [];
  for (const sp of j.step.pods) {
    const p = ctx.byId.get(sp.id);
    const o = outcome(p, j.version, isBatch(j.spec));
    const late = o === "pending" && ctx.now >= stepPodLateAt(j, sp);
    // a fresh pod that started and crashed is restarting, not deploying: it frees its slot (not so for an update)
    const crashLooping = sp.action === "start" && o === "pending" && (p?.restarts ?? 0) > 0 && p?.version === j.version;
    if (o === "pending" && !late && !p?.lostSince && !crashLooping) keep.push(sp);
    else if (o !== "ok" && p) j = stepPodFailed(j, sp, p, late, ctx);
  }
  if (keep.length === j.step!.pods.length) return j;
  return { ...j, step: { ...j.step!, pods: keep, doneAt: keep.length === 0 ? ctx.now : 0 } };
}

function stepPodFailed(j: JobRecord, sp: StepPod, p: PodView, late: boolean, ctx: Ctx): JobRecord {
  if (p.lostSince) return j; // the lost-pod policy handles it
  const why = late ? `not running version ${j.version} after ${formatDuration(j.spec.deploy.deployTimeout)} (deploy_timeout)` : `failed on version ${j.version}: ${p.lastError || "no reason given"}`;
  const inPlace = sp.action === "rebuild" || sp.action === "reload" || sp.action === "recreate";
  if (inPlace && j.state === "updating") {
    ctx.events.push({ pod: p.id, kind: "update", message: `update paused: ${p.id} ${why}; continue or roll back` });
    return { ...transition(j, "update_paused", ctx.now), message: `paused: ${p.id} ${why}` };
  }
  if (late && p.agent && !inPlace) return moveOff(j, p, `${why} on ${p.agent}`, true, ctx);
  return j; // failed: the failure policy moves it
}

/** Failed pods and pods stuck on an agent we already decided to leave are moved; lost pods after pod_lost_timeout. */
function failurePolicy(j: JobRecord, ctx: Ctx): JobRecord {
  for (const p of ctx.pods) {
    if (p.busy || !p.agent || inStep(j, p.id) || ctx.moves.some((m) => m.pod === p.id)) continue;
    const retry = j.moves[p.id]?.agent === p.agent && p.state !== "running" && p.state !== "finished";
    if (p.lostSince) {
      if (ctx.now >= lostTimeoutAt(p, ctx.opts)) {
        j = moveOff(j, p, `agent ${p.agent} silent for ${formatDuration(ctx.now - p.lostSince)} (pod_lost_timeout)`, false, ctx);
      }
    } else if (retry) {
      const entry = j.blacklist.find((b) => b.agent === p.agent);
      ctx.moves.push({ pod: p.id, agent: p.agent, reason: entry?.reason ?? "moving it again", blacklist: !!entry, recreate: false });
    } else if (p.state === "failed" && !movesExhausted(j, p, ctx.opts)) {
      j = moveOff(j, p, `failed on ${p.agent}: ${p.lastError || "no reason given"}`, true, ctx);
    } else if (neverReported(p) && ctx.now >= notStartedAt(j, p)) {
      const why = `not started ${formatDuration(ctx.now - p.placedAt)} after its placement (deploy_timeout ${formatDuration(j.spec.deploy.deployTimeout)})`;
      j = moveOff(j, p, `${why} on ${p.agent}${p.lastError ? `: ${p.lastError}` : ""}`, true, ctx);
    } else if (onBlacklist(j, p.agent, ctx.now) && p.state !== "running" && p.state !== "finished" && p.state !== "failed") {
      j = moveOff(j, p, `not running on ${p.agent}, which is on the job's blacklist`, false, ctx);
    }
  }
  return j;
}

function moveOff(j: JobRecord, p: PodView, reason: string, blacklist: boolean, ctx: Ctx): JobRecord {
  ctx.moves.push({ pod: p.id, agent: p.agent, reason, blacklist, recreate: false });
  const prev = j.moves[p.id];
  const count = prev?.agent === p.agent ? prev.count : (prev?.count ?? 0) + (blacklist ? 1 : 0);
  const moves = { ...j.moves, [p.id]: { count, agent: p.agent } };
  if (!blacklist || j.blacklist.some((b) => b.agent === p.agent)) return { ...j, moves };
  const until = ctx.now + ctx.opts.blacklistTtl;
  ctx.events.push({ pod: p.id, kind: "failover", message: `agent ${p.agent} blacklisted for ${formatDuration(ctx.opts.blacklistTtl)}: ${reason}` });
  return { ...j, moves, blacklist: [...j.blacklist, { agent: p.agent, until, reason }] };
}

const onBlacklist = (j: JobRecord, agent: string, now: number) => j.blacklist.some((b) => b.agent === agent && now < blacklistEndsAt(b));

const inStep = (j: JobRecord, id: string) => !!j.step?.pods.some((sp) => sp.id === id);

/** Pods still on another version that an update may take: placed, reporting, not lost, not in the step. */
function candidates(j: JobRecord, ctx: Ctx): PodView[] {
  return ctx.pods
    .filter((p) => p.reported && p.agent && !p.lostSince && p.version !== 0 && p.version !== j.version && !inStep(j, p.id))
    .filter((p) => !(isBatch(j.spec) && p.state === "finished"))
    .sort(byIndex);
}

function advanceRollout(j: JobRecord, ctx: Ctx): JobRecord {
  const r = j.rollout;
  if (!r || r.state !== "active" || j.state !== "updating") return j;
  const inflight = (j.step?.pods ?? []).filter((sp) => sp.action !== "start").length;
  if (inflight > 0) return j;
  const remaining = candidates(j, ctx).length;
  const updated = ctx.pods.filter((p) => runsTarget(j, p)).length;
  if (remaining === 0) {
    ctx.events.push({ pod: "", kind: "update", message: `update to version ${j.version} done: ${updated} pods run it` });
    return { ...transition(j, "running", ctx.now), rollout: { ...r, state: "done" }, message: "" };
  }
  if (r.breakAt > 0 && updated >= r.breakAt && remaining > 0) {
    const message = `paused at the break point: ${updated} of ${ctx.pods.length} pods run version ${j.version}`;
    ctx.events.push({ pod: "", kind: "update", message });
    return { ...transition(j, "update_paused", ctx.now), message };
  }
  return j;
}

/** Admits fresh pods, then (updating) pods on an older version, up to `step` in flight. */
function admit(j: JobRecord, ctx: Ctx): JobRecord {
  const { step: size, interval } = j.spec.deploy;
  const inflight = j.step?.pods.length ?? 0;
  if (interval > 0 && (inflight > 0 || (j.step && ctx.now < intervalEndsAt(j, j.step)))) return j;
  if (inflight >= size) return j;
  const fresh = ctx.pods.filter((p) => p.reported && p.agent && !p.lostSince && p.version === 0 && !ENDED.includes(p.state) && !inStep(j, p.id));
  const chosen: StepPod[] = fresh.sort(byIndex).map((p) => ({ id: p.id, action: "start" as StepAction, at: ctx.now }));
  if (j.state === "updating" && j.rollout) chosen.push(...updateChoices(j, ctx));
  const admitted = chosen.slice(0, size - inflight);
  if (admitted.length === 0) return j;
  const step: Step = inflight === 0 ? { pods: admitted, startedAt: ctx.now, doneAt: 0 } : { ...j.step!, pods: [...j.step!.pods, ...admitted] };
  for (const kind of ["start", "update"] as const) {
    const ids = admitted.filter((a) => (a.action === "start") === (kind === "start")).map((a) => a.id);
    if (ids.length === 0) continue;
    const what = kind === "start" ? `deploying version ${j.version}` : `${j.rollout!.kind} to version ${j.version}`;
    ctx.events.push({ pod: "", kind: kind === "start" ? "deploy" : "update", message: `step: ${ids.join(", ")} ${what}` });
  }
  return { ...j, step };
}

function updateChoices(j: JobRecord, ctx: Ctx): StepPod[] {
  const r = j.rollout!;
  let list = candidates(j, ctx);
  if (r.breakAt > 0) {
    const updated = ctx.pods.filter((p) => runsTarget(j, p)).length;
    const inflight = (j.step?.pods ?? []).filter((sp) => sp.action !== "start").length;
    list = list.slice(0, Math.max(0, r.breakAt - updated - inflight));
  }
  return list.map((p) => ({ id: p.id, action: r.kind, at: ctx.now }));
}

function commandsFor(j: JobRecord, ctx: Ctx): Map<string, PodCommand> {
  const steps = new Map((j.step?.pods ?? []).map((sp) => [sp.id, sp]));
  const out = new Map<string, PodCommand>();
  for (const p of ctx.pods) {
    const sp = steps.get(p.id);
    let command: CommandName = "none";
    if (sp?.action === "start" || (sp?.action === "recreate" && sp.moved)) command = "start";
    else if (sp?.action === "rebuild" || sp?.action === "reload") command = sp.action;
    else if (sp?.action === "recreate" && p.agent) ctx.moves.push({ pod: p.id, agent: p.agent, reason: `recreating with the resources of version ${j.version}`, blacklist: false, recreate: true });
    out.set(p.id, { command, version: j.version });
  }
  return out;
}
