// The scheduler's inputs built from ResMan's state, and its results applied back: a pass over every pending
// container (tick), a dry run for `galaxy plan`, and a forced preemption on one agent for `galaxy preempt`.
//
//   agents + placement ──► SchedAgent[] (sched-view.ts: load kept incrementally; containers built lazily, only for preemption)
//   pending containers ──► SchedGroup per group ──► place() ──► evictions (victims -> "preempted")
//                                                           ──► placements (allocated, caps bumped)
//                                                           ──► outcomes (last error per group and container)
import { ConflictError, InvalidError, NotFoundError } from "../core/errors.ts";
import type { GroupSpec, Resources } from "../rpc/types.ts";
import {
  applyPlan, checkStatic, formatReasons, place, planVictims, preemptReason, prepare, WorkingAgent,
  type Eviction, type SchedAgent, type SchedGroup, type ScheduleResult, type VolumeBinding,
} from "../scheduler/index.ts";
import type { CoreState } from "./core-state.ts";
import { avoidLeaving, victimBudget } from "./core-moves.ts";
import { schedAgent, schedAgents, schedGroup } from "./sched-view.ts";
import { hasPersistent, homes } from "./persistent.ts";
import { indexOf, type AgentRec, type ContainerRec } from "./state.ts";

/**
 * One pass over every pending container. A rebalance move's new copy first tries the agent the rebalancer chose.
 * Containers whose persistent data an agent holds (persistent.ts) go next, each alone and only to that agent; those
 * that do not fit there join the ordinary pass unless a volume is sticky.
 */
export function schedule(core: CoreState, now: number): void {
  const pendingBy = pendingByGroup(core, now);
  const persistent = new Set([...pendingBy.keys()].filter((g) => hasPersistent(core.groups.get(g)?.spec)));
  const home = homes(core, persistent);
  const sticky = new Set<string>();
  if (home.size > 0) {
    const first: SchedGroup[] = [];
    for (const [cid, h] of home) {
      const c = core.placement.get(cid);
      const g = c && !c.agent ? core.groups.get(c.group) : undefined;
      if (!g) continue;
      first.push({ ...schedGroup(avoidLeaving(core, g.spec), [cid], core.groups.antiAffinity), home: h });
      if (h.sticky) sticky.add(cid);
    }
    applyResult(core, place(schedAgents(core), first, { seed: core.seed++, victimBudget: (g) => victimBudget(core, g) }), now);
  }
  const groups: SchedGroup[] = [];
  for (const [gid, all] of home.size > 0 ? pendingByGroup(core, now) : pendingBy) {
    const ids = all.filter((id) => !sticky.has(id));
    const g = core.groups.get(gid);
    if (g && ids.length > 0) groups.push(schedGroup(avoidLeaving(core, g.spec), ids.sort((x, y) => indexOf(x) - indexOf(y)), core.groups.antiAffinity));
  }
  // services are preempted within their disruption budget (core-moves.ts victimBudget), asked only when preempting
  applyResult(core, place(schedAgents(core), groups, { seed: core.seed++, victimBudget: (g) => victimBudget(core, g) }), now);
}

function pendingByGroup(core: CoreState, now: number): Map<string, string[]> {
  const pendingBy = new Map<string, string[]>();
  for (const id of core.placement.pending) {
    const c = core.placement.get(id)!;
    if (c.moveTo && placeOnTarget(core, c, now)) continue;
    let list = pendingBy.get(c.group);
    if (!list) pendingBy.set(c.group, (list = []));
    list.push(id);
  }
  return pendingBy;
}

/** A rebalance move's new copy on the agent the rebalancer chose, when the scheduler's checks let it (no eviction). */
function placeOnTarget(core: CoreState, c: ContainerRec, now: number): boolean {
  const to = c.moveTo;
  c.moveTo = "";
  const g = core.groups.get(c.group);
  const agent = core.agents.get(to);
  if (!g || !agent) return false;
  const d = prepare(schedGroup(avoidLeaving(core, g.spec), [c.id], core.groups.antiAffinity));
  const wa = new WorkingAgent(schedAgent(core, agent));
  const victims = planVictims(d, wa);
  if (victims === null || victims.length > 0) return false;
  const evictions: Eviction[] = [];
  applyResult(core, { placements: [applyPlan(d, wa, c.id, victims, evictions)], outcomes: [], evictions }, now);
  return true;
}

function applyResult(core: CoreState, result: ScheduleResult, now: number): void {
  for (const e of result.evictions) applyEviction(core, e);
  for (const p of result.placements) {
    const c = core.placement.get(p.containerId)!;
    core.placement.assign(c, p.agent, p.ports, p.charged, p.bindings);
    c.state = "allocated";
    c.message = "";
    c.grantedAt = now;
    core.bumpCaps(core.agents.get(p.agent)!);
  }
  for (const o of result.outcomes) {
    const g = core.groups.get(o.groupId);
    const text = o.unplaced.length ? formatReasons(o.reasons) || "no agents" : "";
    let changed = g !== undefined && g.lastError !== text;
    if (g) g.lastError = text;
    for (const id of o.unplaced) {
      const c = core.placement.get(id);
      if (!c) continue;
      changed ||= c.lastError !== text || !sameCounts(c.reasons, o.reasons);
      (c.lastError = text), (c.reasons = o.reasons);
    }
    if (changed) core.placement.touch(o.groupId); // hints show why a container waits
  }
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  if (a === b) return true;
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

function applyEviction(core: CoreState, e: Eviction): void {
  const c = core.placement.get(e.containerId);
  if (c) core.evict(c, `preempted by ${e.by} (${e.byType})`, e.by);
}

/** What an adopted container is charged: its shared resources plus the full size of the devices it holds whole. */
export function adoptedCharge(core: CoreState, c: ContainerRec, agent: AgentRec, bindings: VolumeBinding[]): Resources {
  const spec = core.groups.get(c.group)?.spec;
  const charged = { ...c.resources };
  for (const v of spec?.volumes ?? []) {
    if (v.exclusive && (v.medium === "disk" || v.medium === "ssd")) charged[v.medium] = Math.max(0, charged[v.medium] - v.size);
  }
  for (const b of bindings) {
    if (b.shared) continue; // a shared volume is in its resources already
    const dev = agent.info.volumes.find((d) => d.path === b.hostPath);
    charged[b.medium === "ssd" ? "ssd" : "disk"] += dev?.size ?? b.size;
  }
  return charged;
}

export interface PlanResult {
  fit: number;
  wanted: number;
  placements: { agent: string; count: number; devices: string[] }[];
  reasons: Record<string, number>;
  preempting: number;
  victims: string[];
  lastError: string;
}

/** `galaxy plan`: the real pass, as a dry run of one new group on the live state (preemption included). */
export function planGroup(core: CoreState, spec: GroupSpec): PlanResult {
  if (spec.pools.length === 0) throw new InvalidError("the job names no pool");
  const id = spec.id || "plan";
  const pending = Array.from({ length: spec.replica }, (_, i) => `${id}.${i}`);
  const r = place(schedAgents(core), [schedGroup({ ...spec, id }, pending, core.groups.antiAffinity)], { seed: core.seed });
  const per = new Map<string, number>();
  const devices = new Map<string, Set<string>>();
  for (const p of r.placements) {
    per.set(p.agent, (per.get(p.agent) ?? 0) + 1);
    let d = devices.get(p.agent);
    if (!d) devices.set(p.agent, (d = new Set()));
    for (const b of p.bindings) d.add(`${b.path} on ${b.hostPath}${b.shared ? "" : " (exclusive)"}`);
  }
  const reasons = r.outcomes[0]?.reasons ?? {};
  return {
    fit: r.placements.length, wanted: spec.replica,
    placements: [...per].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).map(([agent, count]) => ({ agent, count, devices: [...devices.get(agent)!].sort() })),
    reasons, preempting: r.placements.filter((p) => p.victims.length > 0).length, victims: r.evictions.map((e) => e.containerId),
    lastError: formatReasons(reasons),
  };
}

/** `galaxy preempt GROUP ENDPOINT`: places the group's first pending container there, evicting less important ones. */
export function forcePreempt(core: CoreState, groupId: string, endpoint: string, now: number): { container: string; victims: string[] } {
  const g = core.mustGroup(groupId);
  const agent = core.agents.get(endpoint);
  if (!agent) throw new NotFoundError("agent", endpoint);
  const pending = core.placement.ofGroup(groupId).filter((c) => !c.agent).sort((x, y) => x.index - y.index);
  if (pending.length === 0) throw new ConflictError(`group ${groupId} has no pending container`);
  const cid = pending[0]!.id;
  const d = prepare(schedGroup(g.spec, [cid], core.groups.antiAffinity));
  const wa = new WorkingAgent(schedAgent(core, agent));
  const victims = planVictims(d, wa);
  if (victims === null) {
    const reason = checkStatic(d, wa) ?? preemptReason(d, wa);
    throw new ConflictError(`${cid} cannot go on ${endpoint}: ${reason || "nothing less important to evict"}`);
  }
  const evictions: Eviction[] = [];
  const placement = applyPlan(d, wa, cid, victims, evictions);
  applyResult(core, { placements: [placement], outcomes: [], evictions }, now);
  return { container: cid, victims: placement.victims };
}
