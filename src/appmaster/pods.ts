// AppMaster's soft pod records: what ResMan's hints say (where, container state) and what the pod's worker reports
// (state, version, tasks), and the events read off each change. Rebuilt after a failover, never persisted.
import type { ContainerInfo, FetchTaskRequest, Pod, PodState, TaskStatus } from "../rpc/types.ts";
import type { PodView } from "./planner.ts";

export interface PodRec extends Pod {
  /** A worker has reported since this leader started. */
  reported: boolean;
  /** When ResMan first said the pod's agent is silent (0: not lost). */
  lostSince: number;
  /** The last one-off operation its worker carried out, and one (recover) still to hand it. */
  opId: string;
  pendingOp: string;
  /** Agents AppMaster moved this pod off: their copy is surplus (until: hints naming them are ignored). */
  staleAgents: { agent: string; until: number }[];
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
  };
}

export const podIndex = (id: string): number => Number(id.slice(id.lastIndexOf(".") + 1));

export function podView(p: PodRec): PodView {
  return {
    id: p.id, agent: p.agent, state: p.state as PodState, version: p.version, reported: p.reported, lostSince: p.lostSince,
    lastError: p.lastError, restarts: p.restarts, busy: p.pendingOp !== "",
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
  Object.assign(p, { agent: "", state: "pending", version: 0, reported: false, tasks: [], ports: [], lostSince: 0, containerState: "pending", startedAt: 0, updatedAt: now });
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
  p.agent = agent;
  p.ports = agent ? c.ports : [];
  p.containerState = c.state;
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
  if (!agent) p.lastError = c.lastError;
  return events;
}

// ───────── worker reports ─────────

/** Records a worker's report; returns the events read off the change (exits with reasons, restarts, states). */
export function recordReport(p: PodRec, req: FetchTaskRequest, now: number): PodEvent[] {
  const events = p.reported ? reportEvents(p, req) : [];
  p.reported = true;
  p.state = (req.state || "starting") as PodState;
  p.tasks = req.tasks;
  p.version = req.version;
  p.restarts = req.tasks.reduce((s, t) => s + t.restarts, 0);
  p.lastError = lastErrorOf(req);
  const starts = req.tasks.map((t) => t.startedAt).filter((t) => t > 0);
  p.startedAt = starts.length ? Math.min(...starts) : 0;
  p.opId = req.opId;
  if (p.pendingOp && req.opId === p.pendingOp) p.pendingOp = "";
  p.updatedAt = now;
  return events;
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
  const state = req.state as PodState;
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
