// Containers that may no longer stay on their agent (it drains, lost a label the group requires, or moved to a pool
// the group does not use), and who moves them:
//
//   misplaced ──► batch, best-effort: ResMan moves them at once (back to pending, placed elsewhere: restartable)
//             ──► service, monitor: ResMan only marks them (hint `move`, and `move_blocked` when a dry-run pass finds
//                 no other agent for a replacement). AppMaster, which knows health, moves them within the job's
//                 disruption budget (appmaster/disruption.ts) with RescheduleContainer, make-before-break:
//
//   RescheduleContainer(marked, agent alive) ──► the record goes back to pending and is placed elsewhere (new copy)
//                                            ──► its old copy stays on its agent as a leaving copy: charged there and
//                                                in its cap set, so the agent keeps running it
//   AppMaster terminates the old copy once the new one runs healthy ──► its agent reports it exited
//                                            ──► the leaving copy is let go (cap set bumped: the agent destroys it)
//
// A leaving copy also goes when its agent's full report lacks it, or the agent dies or is removed. A move that lost its
// reason (the drain stopped) while the new copy is not placed yet is undone: the old copy is the container again.
// Leaving copies are soft state: a ResMan failover forgets them, and the first agent to report the container keeps it
// (the other copy is destroyed: at worst the moved pod, already counted down by the budget, is down until it runs).
import { isOnline, type ContainerReport, type GroupSpec } from "../rpc/types.ts";
import { formatReasons, place } from "../scheduler/index.ts";
import type { CoreState } from "./core-state.ts";
import { schedAgents, schedGroup } from "./sched-view.ts";
import { rebalanceReason } from "./rebalance.ts";
import { ContainerRec, type AgentRec } from "./state.ts";

/** Why a placed container may not stay on its agent ("" when it may). */
export function misplaced(core: CoreState, a: AgentRec, c: ContainerRec): string {
  if (a.admin === "draining") return `drain of ${a.endpoint}`;
  const spec = core.groups.get(c.group)?.spec;
  if (!spec) return "";
  if (!spec.pools.includes(a.pool)) return `agent ${a.endpoint} is in pool ${a.pool}`;
  const lost = spec.labels.find((l) => !a.labels.includes(l));
  if (lost) return `agent ${a.endpoint} lost label ${lost}`;
  if (!c.moveTo) return "";
  const to = core.agents.get(c.moveTo); // a rebalance move (rebalance.ts), while its target still takes containers
  return to && !to.dead && to.admin === "active" ? rebalanceReason(c.moveTo) : "";
}

/**
 * Every tick, for the agents in core.mayMove: batch and best-effort containers that must go are moved now; online
 * ones are marked (or unmarked: the agent is back in service) for AppMaster. An agent leaves the set once nothing on
 * it is misplaced (or it is gone): those are returned, and the core forgets them.
 */
export function applyMoves(core: CoreState, now: number): string[] {
  restoreCancelled(core);
  if (core.mayMove.size === 0) return [];
  const room = roomCache(core, now);
  const settled: string[] = [];
  for (const endpoint of core.mayMove) {
    const a = core.agents.get(endpoint);
    let left = 0;
    for (const c of a ? core.placement.ofAgent(endpoint) : []) {
      if (c.orphan || core.placement.isLeaving(c)) continue;
      const why = misplaced(core, a!, c);
      if (why) left++;
      if (why && !isOnline(core.groups.get(c.group)?.spec.jobType ?? "service")) {
        core.evict(c, `moved off ${endpoint}: ${why}`);
        continue;
      }
      let blocked = "";
      if (why) {
        let r = room.get(c.group);
        if (!r) room.set(c.group, (r = { at: now, why: roomFor(core, c) }));
        blocked = r.why;
      }
      if (!why && c.moveTo) c.moveTo = ""; // its target went away: the rebalance move is off
      if (c.move !== why || c.moveBlocked !== blocked) {
        c.move = why;
        c.moveBlocked = blocked;
        core.placement.touch(c.group);
      }
    }
    if (left === 0) settled.push(endpoint);
  }
  return settled;
}

/** Dry runs are kept ROOM_RECHECK_MS per group: a tick every 100 ms need not re-run one per group with marks. */
export const ROOM_RECHECK_MS = 1_000;
const roomCaches = new WeakMap<CoreState, Map<string, { at: number; why: string }>>();

function roomCache(core: CoreState, now: number): Map<string, { at: number; why: string }> {
  let m = roomCaches.get(core);
  if (!m) roomCaches.set(core, (m = new Map()));
  for (const [g, r] of m) if (now - r.at >= ROOM_RECHECK_MS) m.delete(g);
  return m;
}

/** A dry run of the real pass for one more container of c's group: "" when some agent takes it, else the reasons. */
function roomFor(core: CoreState, c: ContainerRec): string {
  const g = core.groups.get(c.group);
  if (!g) return "";
  const r = place(schedAgents(core), [schedGroup(avoidLeaving(core, g.spec), [c.id])], { seed: core.seed, victimBudget: (id) => victimBudget(core, id) });
  return r.placements.length > 0 ? "" : formatReasons(r.outcomes[0]?.reasons ?? {}) || "no agents";
}

/** AppMaster moves a marked container off a live agent: a new copy is placed elsewhere, the old one stays until it ends. */
export function moveMakeBeforeBreak(core: CoreState, c: ContainerRec, reason: string): void {
  const old = new ContainerRec(c.id, c.group, c.index, c.resources);
  old.agent = c.agent;
  old.ports = c.ports;
  old.charged = c.charged;
  old.bindings = c.bindings;
  old.takeRunState(c);
  old.message = `leaving: ${reason}`;
  core.evict(c, reason); // off its agent (caps bumped), pending: the scheduler places the new copy
  core.placement.hold(old); // ...while the old copy keeps its charge and its cap there
}

/** The group as the scheduler sees it: never on an agent that still holds a leaving copy of it (one id, one copy). */
export function avoidLeaving(core: CoreState, spec: GroupSpec): GroupSpec {
  if (core.placement.leaving.size === 0) return spec;
  const agents = [...core.placement.leaving.values()].filter((c) => c.group === spec.id).map((c) => c.agent);
  return agents.length === 0 ? spec : { ...spec, blacklist: [...spec.blacklist, ...agents] };
}

/**
 * A move that no longer has a reason (the drain stopped, the label came back) while its new copy is not placed yet:
 * the old copy is the container again, where it runs (same grant: its agent sees no change).
 */
function restoreCancelled(core: CoreState): void {
  if (core.placement.leaving.size === 0) return;
  for (const old of [...core.placement.leaving.values()]) {
    const c = core.placement.get(old.id);
    const a = core.agents.get(old.agent);
    if (!c || c.agent || !a || a.dead || misplaced(core, a, c)) continue;
    core.placement.letGo(old);
    core.placement.assign(c, old.agent, old.ports, old.charged, old.bindings);
    c.takeRunState(old);
    c.message = "";
  }
}

/** A report about a leaving copy on this agent: it is let go once it ended. Returns whether the report was one. */
export function noteLeavingReport(core: CoreState, a: AgentRec, r: ContainerReport): boolean {
  const old = core.placement.leavingCopy(r.containerId, a.endpoint);
  if (!old) return false;
  if (r.state === "exited" || r.state === "failed" || r.state === "destroying") letGo(core, a, old);
  else old.applyReport(r);
  return true;
}

/** A full report: the leaving copies it does not mention are gone from the agent. */
export function dropUnreported(core: CoreState, a: AgentRec, reports: readonly ContainerReport[]): void {
  if (core.placement.leaving.size === 0) return;
  const ids = new Set(reports.map((r) => r.containerId));
  for (const old of [...core.placement.leaving.values()]) if (old.agent === a.endpoint && !ids.has(old.id)) letGo(core, a, old);
}

/** The agent died or is removed: its leaving copies are not waited for (their pods run elsewhere). */
export function dropLeavingOn(core: CoreState, endpoint: string): void {
  if (core.placement.leaving.size === 0) return;
  const a = core.agents.get(endpoint);
  for (const old of [...core.placement.leaving.values()]) {
    if (old.agent !== endpoint) continue;
    if (a) letGo(core, a, old);
    else core.placement.letGo(old);
  }
}

function letGo(core: CoreState, a: AgentRec, old: ContainerRec): void {
  core.placement.letGo(old);
  core.bumpCaps(a); // its cap set no longer holds the copy: the agent destroys it
}

/**
 * Preemption's disruption budget for a service group (scheduler VictimBudget): how many more of its containers a
 * more important one may take now, max(1, step) − containers not up. ResMan knows no health: a container is up when
 * its agent reports it running (a preempted one is not, until it runs again elsewhere).
 */
export function victimBudget(core: CoreState, groupId: string): number {
  const spec = core.groups.get(groupId)?.spec;
  if (!spec) return Infinity;
  let up = 0;
  for (const c of core.placement.ofGroup(groupId)) if (c.agent && c.state === "running") up++;
  return Math.max(1, spec.step) - Math.max(0, spec.replica - up);
}

/** What `galaxy agent show` says of moving containers off the agent ("" when nothing has to move). */
export function drainStatus(core: CoreState, a: AgentRec): string {
  if (a.admin !== "draining" && !core.mayMove.has(a.endpoint) && core.placement.leaving.size === 0) return ""; // listing 10,000 agents
  const on = core.placement.ofAgent(a.endpoint);
  if (a.admin === "draining" && on.length === 0) return "drained";
  const marked = on.filter((c) => c.move && !core.placement.isLeaving(c)).sort((x, y) => x.id.localeCompare(y.id));
  const leaving = on.filter((c) => core.placement.isLeaving(c)).length;
  if (marked.length === 0 && leaving === 0 && a.admin !== "draining") return "";
  const what = a.admin === "draining" ? "drain" : "moving containers off";
  const blocked = marked.filter((c) => c.moveBlocked);
  if (blocked.length > 0) {
    const more = blocked.length > 1 ? ` and ${blocked.length - 1} more` : "";
    return `${what} waits: no room for ${blocked[0]!.id}${more} (${blocked[0]!.moveBlocked})`;
  }
  const left = on.length - leaving;
  const parts = [`${left} ${left === 1 ? "container" : "containers"} to move`];
  if (leaving === 1) parts.push("1 old copy stopping once its replacement runs healthy");
  else if (leaving > 1) parts.push(`${leaving} old copies stopping once their replacements run healthy`);
  return `${what}: ${parts.join(", ")} (services a deploy step at a time, make-before-break)`;
}
