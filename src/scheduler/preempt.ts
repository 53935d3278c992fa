// Preemption: a pending container may evict strictly less important containers (monitor > service > batch >
// best-effort), never an equal or more important one. Among the agents that pass the static checks (state, pool,
// labels, blacklist, max_per_host) it picks the one whose victim set is smallest, then least important in sum.
//
//   per agent: candidates = placed containers less important than the demand,
//              least important first, largest first within a level
//     ──► evict candidates one by one on a copy of the agent until the demand fits
//     ──► prune: put back every victim (most important first) the demand still fits without
//   per group: the plan of each candidate agent is computed once and again only after that agent changed
//   services as victims: at most their group's disruption budget (VictimBudget) in a pass; plans are recomputed
//              after a pass took a service victim (the budget they counted on may be spent)
import { IMPORTANCE, isOnline } from "../core/domain.ts";
import { checkFeasible, checkStatic } from "./checks.ts";
import { cmp, isBatchType, type Demand } from "./demand.ts";
import { assign } from "./assign.ts";
import { shuffle } from "./random.ts";
import type { Eviction, GroupOutcome, Placement, SchedContainer } from "./types.ts";
import type { WorkingAgent } from "./working-agent.ts";

/** How many more containers of each service group preemption may take in this pass (see ScheduleOptions). */
export class VictimBudget {
  private readonly left = new Map<string, number>();
  constructor(private readonly budgetOf?: (groupId: string) => number) {}

  /** How many more of c's group may go (Infinity: batch, best-effort, or no budget given). */
  leftFor(c: SchedContainer): number {
    if (!this.budgetOf || !isOnline(c.jobType)) return Infinity;
    let n = this.left.get(c.groupId);
    if (n === undefined) this.left.set(c.groupId, (n = this.budgetOf(c.groupId)));
    return n;
  }

  /** Counts the victims taken; returns whether a service was among them. */
  take(victims: readonly SchedContainer[]): boolean {
    let online = false;
    for (const v of victims) {
      const n = this.leftFor(v);
      if (n === Infinity) continue;
      this.left.set(v.groupId, n - 1);
      online = true;
    }
    return online;
  }
}

const NO_BUDGET = new VictimBudget();

/** The victims that let the demand fit on the agent ([] when it fits as is), or null when nothing does. */
export function planVictims(d: Demand, a: WorkingAgent, budget: VictimBudget = NO_BUDGET): SchedContainer[] | null {
  if (checkStatic(d, a) !== null) return null;
  if (checkFeasible(d, a) === null) return [];
  const candidates = a.liveContainers().filter((c) => (IMPORTANCE[c.jobType] ?? 0) < d.importance && budget.leftFor(c) > 0);
  if (candidates.length === 0) return null;
  candidates.sort((x, y) => IMPORTANCE[x.jobType] - IMPORTANCE[y.jobType] || weight(y) - weight(x) || cmp(x.id, y.id));
  const scratch = a.clone();
  const victims: SchedContainer[] = [];
  const taken = new Map<string, number>(); // per service group, in this plan
  for (const c of candidates) {
    const left = budget.leftFor(c);
    if (left !== Infinity) {
      if ((taken.get(c.groupId) ?? 0) >= left) continue;
      taken.set(c.groupId, (taken.get(c.groupId) ?? 0) + 1);
    }
    scratch.evict(c, isBatchType(c.jobType));
    victims.push(c);
    if (checkFeasible(d, scratch) === null) break;
  }
  if (checkFeasible(d, scratch) !== null) return null;
  for (let i = victims.length - 1; i >= 0; i--) {
    const c = victims[i]!;
    scratch.restore(c, isBatchType(c.jobType));
    if (checkFeasible(d, scratch) === null) victims.splice(i, 1);
    else scratch.evict(c, isBatchType(c.jobType));
  }
  return victims;
}

/** Why the demand cannot go on this agent even after evicting everything less important it holds. */
export function preemptReason(d: Demand, a: WorkingAgent): string {
  const scratch = a.clone();
  for (const c of scratch.liveContainers()) if ((IMPORTANCE[c.jobType] ?? 0) < d.importance) scratch.evict(c, isBatchType(c.jobType));
  return checkFeasible(d, scratch) ?? "";
}

/** Applies a plan: evicts the victims from the agent and places the container there. */
export function applyPlan(d: Demand, a: WorkingAgent, containerId: string, victims: SchedContainer[], evictions: Eviction[]): Placement {
  for (const v of victims) {
    a.evict(v, isBatchType(v.jobType));
    evictions.push({ containerId: v.id, groupId: v.groupId, agent: a.endpoint, by: containerId, byType: d.jobType });
  }
  return assign(d, a, containerId, victims.map((v) => v.id));
}

/** Places the outcome's unplaced containers by preemption where it can; updates the outcome. */
export function preemptGroup(
  d: Demand, working: WorkingAgent[], rand: () => number, outcome: GroupOutcome, out: Placement[], evictions: Eviction[],
  budget: VictimBudget = NO_BUDGET,
): void {
  const candidates = working.filter((a) => checkStatic(d, a) === null && a.liveContainers().some((c) => IMPORTANCE[c.jobType] < d.importance));
  if (candidates.length === 0) return;
  shuffle(candidates, rand);
  const plans = new Map<WorkingAgent, SchedContainer[] | null>();
  let placed = 0;
  for (const id of outcome.unplaced) {
    let best: WorkingAgent | null = null;
    let bestPlan: SchedContainer[] | null = null;
    for (const a of candidates) {
      if (!plans.has(a)) plans.set(a, planVictims(d, a, budget));
      const plan = plans.get(a)!;
      if (plan && (!bestPlan || better(plan, bestPlan))) (best = a), (bestPlan = plan);
    }
    if (!best || !bestPlan) break;
    out.push(applyPlan(d, best, id, bestPlan, evictions));
    plans.delete(best);
    if (budget.take(bestPlan)) plans.clear(); // a service's budget went down: other plans may have counted on it
    placed++;
  }
  outcome.placed += placed;
  outcome.unplaced = outcome.unplaced.slice(placed);
  if (outcome.unplaced.length === 0) outcome.reasons = {};
}

/** Fewer victims first, then less important in sum. */
function better(x: SchedContainer[], y: SchedContainer[]): boolean {
  if (x.length !== y.length) return x.length < y.length;
  return importanceSum(x) < importanceSum(y);
}

const importanceSum = (cs: SchedContainer[]) => cs.reduce((s, c) => s + IMPORTANCE[c.jobType], 0);
const weight = (c: SchedContainer) => c.charged.millicores / 1000 + c.charged.memory / 1024 ** 3;
