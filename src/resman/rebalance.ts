// `galaxy rebalance`: the rebalancer (scheduler/rebalance.ts) on ResMan's live placement, and its moves applied as
// marks that AppMaster carries out like a drain's, make-before-break within each job's disruption budget:
//
//   agents + placed containers ──► RebalanceProblem (a kind per group; only running services and monitors move, never
//   onto a draining, offline or dead agent, outside their pools/labels/blacklist, or with a device they hold)
//   ──► rebalance() for a bounded time ──► moves (container, from, to)
//   apply: each moved container is marked (hint `move` "rebalance to X", ContainerRec.moveTo) ──► AppMaster asks
//   RescheduleContainer a step at a time ──► the new copy is placed on X when X still takes it (the scheduler's own
//   checks, schedule() in core-schedule.ts), else wherever the scheduler places it; the old copy stops once it runs.
// A move whose target went away (dead, drained) loses its mark (core-moves.ts misplaced).
import { isOnline } from "../rpc/types.ts";
import { rebalanceSteps, type RebalanceKind, type RebalanceProblem } from "../scheduler/rebalance.ts";
import { DEFAULT_LOAD_TARGET, LOAD_WEIGHT } from "../scheduler/score-kind.ts";
import type { CoreState } from "./core-state.ts";
import type { ContainerRec } from "./container-rec.ts";
import type { AgentRec } from "./state.ts";
import { PROFILE_POINTS, profileOf } from "./profiles.ts";

export interface RebalanceMoveInfo {
  container: string;
  group: string;
  from: string;
  to: string;
}

export interface RebalancePlan {
  costBefore: number;
  costAfter: number;
  agentsBefore: number;
  agentsAfter: number;
  moves: RebalanceMoveInfo[];
  /** Containers the search could move (running services and monitors), of all placed. */
  movable: number;
  placed: number;
  seconds: number;
}

export interface RebalanceAsk {
  /** Search time (ms). */
  budgetMs: number;
  maxMoves: number;
  now: () => number;
  seed?: number;
}

/**
 * The search on a snapshot of the live placement; changes nothing. It runs in slices of `sliceMs` on separate
 * event-loop turns (`yieldTurn`), so heartbeats and calls go on meanwhile; what changed since the snapshot is
 * checked again when the moves are applied.
 */
export async function planRebalance(core: CoreState, ask: RebalanceAsk, yieldTurn: () => Promise<void>, sliceMs = 20): Promise<RebalancePlan> {
  const start = ask.now();
  const { problem, containers } = problemOf(core);
  const steps = rebalanceSteps(problem, { now: ask.now, until: start + ask.budgetMs, seed: ask.seed ?? core.seed, maxMoves: ask.maxMoves });
  let sliceEnd = ask.now() + sliceMs;
  let r = steps.next();
  while (!r.done) {
    if (ask.now() >= sliceEnd) {
      await yieldTurn();
      sliceEnd = ask.now() + sliceMs;
    }
    r = steps.next();
  }
  const res = r.value;
  const moves = res.moves.slice(0, ask.maxMoves).map((m) => {
    const c = containers[m.item]!;
    return { container: c.id, group: c.group, from: problem.agents[m.from]!.id, to: problem.agents[m.to]!.id };
  });
  return {
    costBefore: res.costBefore, costAfter: res.costAfter, agentsBefore: res.agentsBefore, agentsAfter: res.agentsAfter, moves,
    movable: problem.items.filter((it) => it.movable).length, placed: problem.items.length, seconds: (ask.now() - start) / 1000,
  };
}

/** Marks the plan's containers to move (those still where the plan found them); returns how many were marked. */
export function applyRebalance(core: CoreState, plan: RebalancePlan): number {
  let marked = 0;
  for (const m of plan.moves) {
    const c = core.placement.get(m.container);
    const to = core.agents.get(m.to);
    if (!c || c.agent !== m.from || c.move || core.placement.isLeaving(c) || !to || !openAgent(to)) continue;
    c.moveTo = m.to;
    c.move = rebalanceReason(m.to);
    c.moveBlocked = "";
    core.noteMayMove(m.from);
    core.placement.touch(c.group);
    marked++;
  }
  return marked;
}

export const rebalanceReason = (to: string): string => `rebalance to ${to}`;

const openAgent = (a: AgentRec): boolean => !a.dead && a.admin === "active";

function problemOf(core: CoreState): { problem: RebalanceProblem; containers: ContainerRec[] } {
  const agents = [...core.agents.values()];
  const cfg = core.cfg;
  const kinds: RebalanceKind[] = [];
  const kindOf = new Map<string, number>();
  const containers: ContainerRec[] = [];
  const items: RebalanceProblem["items"][number][] = [];
  // every curve has as many points: the profiles' when a group has one, else one point (the request)
  const points = [...core.groups.values()].some((g) => profileOf(g.spec)) ? PROFILE_POINTS : 1;
  for (const [i, a] of agents.entries()) {
    for (const c of core.placement.ofAgent(a.endpoint)) {
      const k = kindFor(core, c, agents, kinds, kindOf, points);
      containers.push(c);
      items.push({ id: c.id, kind: k, agent: i, movable: movable(core, c, a, kinds[k]!) });
    }
  }
  linkAntiAffinity(core, kinds, kindOf);
  return {
    problem: {
      weight: LOAD_WEIGHT, kinds, items,
      agents: agents.map((a) => ({
        id: a.endpoint, cpu: Math.max(1, a.info.total.millicores), memory: a.info.total.memory, scalars: [a.info.total.disk, a.info.total.ssd],
        target: cfg.poolLoadTargets?.[a.pool] ?? cfg.loadTarget ?? DEFAULT_LOAD_TARGET, open: openAgent(a),
      })),
    },
    containers,
  };
}

/** A kind per group (its containers are alike); a container charged otherwise than its group asks now is its own kind. */
function kindFor(core: CoreState, c: ContainerRec, agents: readonly AgentRec[], kinds: RebalanceKind[], kindOf: Map<string, number>, points: number): number {
  const spec = core.groups.get(c.group)?.spec;
  const r = c.charged;
  const alike = spec && sameResources(spec.resources, r) && c.bindings.length === 0;
  const key = alike ? c.group : `${c.id}\u0000own`;
  const known = kindOf.get(key);
  if (known !== undefined) return known;
  kinds.push({
    id: key, scalars: [r.disk, r.ssd],
    ...((alike && profileOf(spec)) || { cpu: new Float64Array(points).fill(r.millicores), memory: new Float64Array(points).fill(r.memory) }),
    maxPerHost: alike ? spec.maxPerHost : 0, anti: [],
    ...(alike ? { only: Uint8Array.from(agents, (a) => (spec.pools.includes(a.pool) && spec.labels.every((l) => a.labels.includes(l)) && !spec.blacklist.includes(a.endpoint) ? 1 : 0)) } : {}),
  });
  kindOf.set(key, kinds.length - 1);
  return kinds.length - 1;
}

/** Moves only what a move cannot hurt: a running service or monitor of a known group, alone in its kind's rules. */
function movable(core: CoreState, c: ContainerRec, a: AgentRec, k: RebalanceKind): boolean {
  const spec = core.groups.get(c.group)?.spec;
  return !!spec && k.id === c.group && isOnline(spec.jobType || "service") && c.state === "running" && !c.orphan && !c.move &&
    !core.placement.isLeaving(c) && openAgent(a) && (spec.volumes ?? []).every((v) => !v.exclusive);
}

/**
 * Anti-affinity as the scheduler keeps it (AntiAffinityIndex.rulesFor): a group's own rule about a job holds for each
 * group of that job (the reverse direction the rebalancer derives itself); a rule about its own job is a max_per_host.
 */
function linkAntiAffinity(core: CoreState, kinds: RebalanceKind[], kindOf: ReadonlyMap<string, number>): void {
  for (const [gid, k] of kindOf) {
    const g = core.groups.get(gid);
    if (!g) continue;
    const kind = kinds[k]!;
    const anti: { kind: number; k: number }[] = [];
    for (const rule of core.groups.antiAffinity.rulesFor(g.spec)) {
      if (rule.holders.length > 0) continue;
      for (const other of rule.counted) {
        if (other === gid) kind.maxPerHost = Math.max(1, kind.maxPerHost > 0 ? Math.min(kind.maxPerHost, rule.maxPerHost) : rule.maxPerHost);
        else if (kindOf.has(other)) anti.push({ kind: kindOf.get(other)!, k: rule.maxPerHost });
      }
    }
    kinds[k] = { ...kind, anti };
  }
}

function sameResources(a: { millicores: number; memory: number; disk: number; ssd: number }, b: typeof a): boolean {
  return a.millicores === b.millicores && a.memory === b.memory && a.disk === b.disk && a.ssd === b.ssd;
}
