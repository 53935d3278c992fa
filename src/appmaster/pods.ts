// AppMaster's soft pod records: what ResMan's hints say (where, container state) and what the pod's worker reports
// (state, version, tasks), and the events read off each change. Rebuilt after a failover, never persisted.
//
// One pod truth: the agent's word on its container wins over the worker's last report. A container the agent says
// failed (not created: a port taken, its init not ready; killed: disk, memory pressure) or exited makes the pod
// failed with the agent's reason, whatever its worker said last; a worker report older than STALE_REPORT_MS is not
// believed (podTruth: clients, naming files and job status see the pod lost, its tasks not running).
import { formatDuration } from "../core/units.ts";
import { POD_STATES, isOneOf, type PodState } from "../core/domain.ts";
import { InvalidError } from "../core/errors.ts";
import { NOT_ITS_AGENT, REASON } from "../core/reasons.ts";
import type { ContainerInfo, FetchTaskRequest, Pod, TaskStatus } from "../rpc/types.ts";
import type { PodView } from "./planner.ts";

/** A worker report older than this (ten fetch intervals) no longer says the pod runs. */
export const STALE_REPORT_MS = 10_000;

export interface PodRec extends Omit<Pod, "healthy" | "state"> {
  /** The worker's word, converted once when its report arrives (recordReport). */
  state: PodState;
  /** A worker has reported since this leader started. */
  reported: boolean;
  /** When ResMan first said the pod's agent is silent (0: not lost). */
  lostSince: number;
  /** The last one-off operation its worker carried out, and one (recover) still to hand it. */
  opId: string;
  pendingOp: string;
  /** Agents AppMaster moved this pod off: their copy is surplus (until: hints naming them are ignored). */
  staleAgents: { agent: string; until: number }[];
  /** When this leader first heard of it: a pod placed before gets its deploy_timeout from here. */
  seenAt: number;
  /** When ResMan placed its container on its agent (the hint's placed_at, not before seenAt; 0: not placed). */
  placedAt: number;
  /** The agent's message on its container: why it failed or exited, or a note (OOM kills, a disk warning). */
  containerMessage: string;
  /** Unplaced only because every agent it may use is on the job's blacklist (or down): nowhere left to try. */
  blocked: boolean;
  /** Why it failed last (kept when it moves): what a pod with nowhere left to try says. */
  lastFailure: string;
}

export interface PodEvent {
  podId: string;
  kind: string;
  message: string;
}

export function newPod(id: string, jobId: string, now: number): PodRec {
  return {
    id, jobId, containerId: id, agent: "", state: "pending", version: 0, restarts: 0, lastError: "",
    usage: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 }, startedAt: 0, tasks: [], ports: [],
    updatedAt: now, containerState: "", reported: false, lostSince: 0, opId: "", pendingOp: "", staleAgents: [],
    seenAt: now, placedAt: 0, containerMessage: "", blocked: false, lastFailure: "",
  };
}

export const podIndex = (id: string): number => Number(id.slice(id.lastIndexOf(".") + 1));

export function podView(p: PodRec): PodView {
  return {
    id: p.id, agent: p.agent, state: p.state, version: p.version, reported: p.reported, lostSince: p.lostSince,
    lastError: p.lastError, restarts: p.restarts, busy: p.pendingOp !== "", placedAt: p.placedAt, blocked: p.blocked,
  };
}

/** A report from a copy AppMaster moved away from (or from where hints do not yet place the pod). */
export function isStaleCopy(p: PodRec, agent: string): boolean {
  if (!agent) return false;
  if (p.agent) return agent !== p.agent;
  return p.staleAgents.some((s) => s.agent === agent);
}

/** What a stale copy is told: stop once the real copy runs (never both serving for long, never zero). */
export function staleCopyCommand(p: PodRec, agent: string): "terminate" | "none" {
  const movedAway = p.staleAgents.some((s) => s.agent === agent);
  return movedAway && p.agent !== "" && p.agent !== agent && p.state === "running" ? "terminate" : "none";
}

/** After AppMaster had the container rescheduled: the pod starts over wherever ResMan places it next. */
export function resetAfterMove(p: PodRec, fromAgent: string, now: number, graceMs: number): void {
  p.staleAgents = [...p.staleAgents.filter((s) => s.agent !== fromAgent), { agent: fromAgent, until: now + graceMs }].slice(-5);
  Object.assign(p, {
    agent: "", state: "pending", version: 0, reported: false, tasks: [], ports: [], lostSince: 0, containerState: "pending", startedAt: 0,
    updatedAt: now, placedAt: 0, containerMessage: "",
  });
}

// ───────── hints ─────────

export function applyHint(p: PodRec, c: ContainerInfo, now: number): PodEvent[] {
  const suppressed = c.agent !== "" && p.staleAgents.some((s) => s.agent === c.agent && s.until > now);
  const agent = suppressed ? "" : c.agent;
  const events: PodEvent[] = [];
  const ev = (kind: string, message: string) => events.push({ podId: p.id, kind, message });
  if (agent && agent !== p.agent) ev("placed", `placed on ${agent}`);
  if (!agent && p.agent && !suppressed) {
    if (c.state === "preempted" || c.preemptedBy) ev("preempt", `preempted on ${p.agent}${c.preemptedBy ? ` by ${c.preemptedBy}` : ""}`);
    else ev("revoked", `taken off ${p.agent} by ResMan${c.message ? `: ${c.message}` : ""}`);
  }
  if (!agent && p.agent) Object.assign(p, { state: "pending", version: 0, reported: false, tasks: [] });
  if (agent && agent === p.agent && remade(p.containerState, c.state)) {
    ev("lost", `container gone on ${agent}: ${c.message || "its agent no longer has it"}`);
    Object.assign(p, { state: "deploying", version: 0, reported: false, tasks: [] }); // a fresh container: a fresh pod
  }
  if (agent) containerEvents(p, c, agent, ev);
  p.agent = agent;
  p.ports = agent ? c.ports : [];
  p.containerState = c.state;
  p.containerMessage = agent ? c.message : "";
  p.placedAt = agent ? Math.max(c.placedAt, p.seenAt) : 0;
  p.blocked = !agent && onlyBlacklisted(c.reasons);
  p.usage = c.usage;
  if (c.state === "lost" && agent) {
    if (!p.lostSince) ev("lost", `agent ${agent} is silent; the pod is lost`);
    p.lostSince ||= now;
    if (!p.reported || now - p.updatedAt > 5_000) p.state = "lost"; // its worker is silent too
  } else if (p.lostSince) {
    ev("found", `agent ${agent || "-"} is back`);
    p.lostSince = 0;
  }
  if (!p.reported && p.state !== "lost") p.state = agent ? "deploying" : "pending";
  if (!agent) p.lastError = p.blocked && p.lastFailure ? `${c.lastError} (it failed: ${p.lastFailure})` : c.lastError;
  applyContainerEnd(p);
  return events;
}

/** The agent's news on a container: it failed or exited (with its reason), or a note on a running one. */
function containerEvents(p: PodRec, c: ContainerInfo, agent: string, ev: (kind: string, message: string) => void): void {
  const news = agent !== p.agent || c.state !== p.containerState || c.message !== p.containerMessage;
  if (!news) return;
  if (c.state === "failed") ev("failed", `container failed on ${agent}: ${c.message || "no reason given"}`);
  else if (c.state === "exited") ev("exit", `container exited on ${agent}: ${c.message || "no reason given"}`);
  else if (c.state === "running" && c.message && c.message !== p.containerMessage) ev("agent", `${agent}: ${c.message}`);
}

/** ResMan says the agent no longer has a container it ran (a full report without it): it is being made again. */
function remade(before: string, now: string): boolean {
  return (now === "allocated" || now === "creating") && (before === "running" || before === "exited" || before === "failed" || before === "lost");
}

/** The agent says its container failed or exited: nothing of the pod runs, whatever its worker said last. */
export function containerEnded(p: Pick<PodRec, "agent" | "containerState">): boolean {
  return p.agent !== "" && (p.containerState === "failed" || p.containerState === "exited");
}

const ENDED_AS_TOLD: readonly string[] = ["finished", "terminated", "stopping"];

function applyContainerEnd(p: PodRec): void {
  if (!containerEnded(p)) return;
  if (p.containerState === "exited" && ENDED_AS_TOLD.includes(p.state)) return; // its worker exited 0 as told
  p.state = "failed";
  p.lastError = p.containerState === "failed" ? p.containerMessage || "container failed" : `container exited: ${p.containerMessage || "no reason given"}`;
  p.lastFailure = p.lastError;
}

/** Why a container is unplaced (scheduler reasons per agent) leaves no agent but blacklisted (or down) ones. */
function onlyBlacklisted(reasons: Record<string, number>): boolean {
  let blacklisted = false;
  for (const r in reasons) {
    if (r === REASON.blacklist) blacklisted = true;
    else if (!NOT_ITS_AGENT.has(r)) return false;
  }
  return blacklisted;
}

// ───────── worker reports ─────────

/** A worker's pod state: proto3's empty string (a worker that has not said yet) is starting; an unknown word is refused. */
export function podStateOf(s: string): PodState {
  if (s === "") return "starting";
  if (isOneOf(POD_STATES, s)) return s;
  throw new InvalidError(`unknown pod state ${JSON.stringify(s)}`);
}

/** Records a worker's report; returns the events read off the change (exits with reasons, restarts, states). */
export function recordReport(p: PodRec, req: FetchTaskRequest, now: number): PodEvent[] {
  const events = p.reported ? reportEvents(p, req) : [];
  p.reported = true;
  p.state = podStateOf(req.state);
  p.tasks = req.tasks;
  p.version = req.version;
  p.restarts = req.tasks.reduce((s, t) => s + t.restarts, 0);
  p.lastError = lastErrorOf(req);
  const starts = req.tasks.map((t) => t.startedAt).filter((t) => t > 0);
  p.startedAt = starts.length ? Math.min(...starts) : 0;
  p.opId = req.opId;
  if (p.pendingOp && req.opId === p.pendingOp) p.pendingOp = "";
  p.updatedAt = now;
  if (p.state === "failed") p.lastFailure = p.lastError;
  applyContainerEnd(p); // a report sent before its container died
  return events;
}

// ───────── what clients see ─────────

/**
 * States in which a worker's report says tasks run (or are about to): believed only while the report is fresh. Not
 * `stopping`: it claims nothing, and a worker stopping its tasks reports again only when they stopped.
 */
const LIVE: readonly string[] = ["deploying", "starting", "running"];

/** Its worker's last report is too old to say anything runs now. */
export function isStale(p: PodRec, now: number): boolean {
  return p.reported && LIVE.includes(p.state) && !containerEnded(p) && now - p.updatedAt > STALE_REPORT_MS;
}

/** When each pod's last report goes stale, kept in report order (so in deadline order): no scan of every pod. */
export class StaleReports {
  private readonly at = new Map<string, number>();

  /** A report now: the pod's deadline moves to the end. */
  reported(id: string, now: number): void {
    this.at.delete(id);
    this.at.set(id, now + STALE_REPORT_MS + 1); // stale: older than STALE_REPORT_MS
  }

  /** The pods whose last report went stale by `now`, each once per report. */
  takeDue(now: number): string[] {
    const due: string[] = [];
    for (const [id, at] of this.at) {
      if (at > now) break;
      this.at.delete(id);
      due.push(id);
    }
    return due;
  }
}

/** How a pod reads at `now` (podTruth without copying it: job status and counts need only this). */
export interface PodSeen {
  state: string;
  lastError: string;
  healthy: boolean;
  restarts: number;
  /** Nothing of it runs now (its container ended, its agent or worker silent, not placed). */
  down: boolean;
  /** Its tasks' last reported states are unknown now (a silent worker or agent). */
  unknown: boolean;
}

/**
 * A pod as clients, naming files and job status see it at `now`: a stale report says lost (its tasks unknown), a
 * container that ended or an agent gone silent leaves no task running; healthy = running now, every running task's
 * health check passing (no check: running).
 */
export function podSeen(p: PodRec, now: number): PodSeen {
  const stale = isStale(p, now);
  const down = stale || containerEnded(p) || p.state === "lost" || !p.agent;
  const state = stale ? "lost" : p.state;
  // a stale report says how long its worker is silent; else the worker's error, else the agent's note on the container
  const lastError = stale ? `no report from its worker for ${formatDuration(now - p.updatedAt)}` : p.lastError || (p.agent ? p.containerMessage : "");
  const healthy = !down && state === "running" && p.tasks.every((t) => t.state !== "running" || t.healthy);
  return { state, lastError, healthy, restarts: p.restarts, down, unknown: stale || p.state === "lost" };
}

/** The pod as a client gets it (podSeen, with its tasks as they are now). */
export function podTruth(p: PodRec, now: number): Pod {
  const { reported: _r, lostSince: _l, opId: _o, pendingOp: _p, staleAgents: _s, seenAt: _se, placedAt: _pa, containerMessage: _c, blocked: _b, lastFailure: _f, ...pod } = p;
  const seen = podSeen(p, now);
  const tasks = seen.down ? p.tasks.map((t) => downTask(t, seen.unknown)) : p.tasks;
  return { ...pod, state: seen.state, lastError: seen.lastError, tasks, healthy: seen.healthy };
}

function downTask(t: TaskStatus, unknown: boolean): TaskStatus {
  if (t.state !== "running" && t.state !== "starting" && !t.healthy) return t;
  return { ...t, state: unknown ? "unknown" : "stopped", healthy: false };
}

function lastErrorOf(req: FetchTaskRequest): string {
  if (req.message) return req.message;
  const failed = req.tasks.find((t) => t.state === "failed");
  if (failed) return `${failed.name}: ${failed.message}`;
  const unhealthy = req.tasks.find((t) => t.state === "running" && !t.healthy);
  if (unhealthy && req.state === "starting") return `${unhealthy.name}: health check not passing`;
  const exited = req.tasks.find((t) => t.state === "exited" && t.exitCode !== 0);
  return exited ? `${exited.name}: ${exited.message}` : "";
}

function reportEvents(p: PodRec, req: FetchTaskRequest): PodEvent[] {
  const events: PodEvent[] = [];
  const ev = (kind: string, message: string) => events.push({ podId: p.id, kind, message });
  for (const t of req.tasks) taskEvents(p.tasks.find((o) => o.name === t.name), t, ev);
  const state = podStateOf(req.state);
  if (state !== p.state || req.version !== p.version) {
    if (state === "deploying") ev("deploy", `deploying version ${req.version}`);
    else if (state === "running") ev("start", `running version ${req.version}`);
    else if (state === "failed") ev("failed", `failed: ${lastErrorOf(req) || "no reason given"}`);
    else if (state === "finished") ev("exit", "finished: every task exited 0");
    else if (state === "terminated") ev("stop", "terminated");
  }
  return events;
}

function taskEvents(o: TaskStatus | undefined, t: TaskStatus, ev: (kind: string, message: string) => void): void {
  if (!o) return;
  const newRun = t.pid !== o.pid || t.restarts !== o.restarts;
  const ended = t.state === "exited" || t.state === "failed";
  const exitedNow = ended && (o.state === "running" || newRun);
  const missedExit = !ended && o.state === "running" && newRun; // it exited and restarted between two reports
  if ((exitedNow || missedExit) && t.message) ev("exit", `task ${t.name} ${t.message}`);
  if (t.restarts > o.restarts) ev("restart", `task ${t.name} restarted (restart ${t.restarts})${t.message ? ` after it ${t.message}` : ""}`);
}
