// place(): the scheduling pass. Pure: same agents, groups and seed -> same placements.
//
//   groups (most important first, then by id) ──► for each group (one equivalence class, prepared once):
//       feasibility in batches (checks.ts; rejections counted per reason): the agents in the pass's seeded order
//           (bin-pack from its start, spread from a seeded offset per group), until MIN_BATCH (or twice the containers left) are feasible; a group
//           that fits early never reads the rest of the fleet, one that does not reads it all (full reasons)
//       ──► rank the batch (score.ts: bin-pack fullest first, spread emptiest first, load least added cost first;
//           ties keep the seeded order)
//       ──► fill: bin-pack fills one agent before the next; spread deals one container per agent per round; load
//           puts each container where it adds the least cost (scored again after each placement); only the
//           agent just used is checked again, never the whole fleet per container; next batch while any are left
//       ──► still unplaced and preemption on: preempt.ts evicts strictly less important containers, fewest first
//       ──► each placement or eviction updates that agent's overlay (resources, ports, devices, per-group count)
import { IMPORTANCE } from "../core/domain.ts";
import { assign } from "./assign.ts";
import { checkFeasible, countReason } from "./checks.ts";
import { cmp, prepare, type Demand } from "./demand.ts";
import { preemptGroup, VictimBudget } from "./preempt.ts";
import { seededRandom } from "./random.ts";
import { loadScorer, rankAgents, ScoreHeap } from "./score.ts";
import type { Eviction, GroupOutcome, Placement, ScheduleOptions, ScheduleResult, SchedAgent, SchedGroup } from "./types.ts";
import { WorkingFleet, type WorkingAgent } from "./working-agent.ts";

/** Feasible agents a group examines before it ranks and fills (more when it needs more): Nomad's limit. */
export const MIN_BATCH = 64;

export function place(agents: readonly SchedAgent[], groups: readonly SchedGroup[], opts: ScheduleOptions): ScheduleResult {
  const rand = seededRandom(opts.seed);
  const working = new WorkingFleet(agents);
  const order = shuffledOrder(working.length, rand);
  const ordered = [...groups].sort((x, y) => IMPORTANCE[y.jobType] - IMPORTANCE[x.jobType] || cmp(x.id, y.id));
  const placements: Placement[] = [];
  const evictions: Eviction[] = [];
  const outcomes: GroupOutcome[] = [];
  const budget = new VictimBudget(opts.victimBudget);
  for (const g of ordered) {
    if (g.pending.length === 0) continue;
    const d = prepare(g);
    const outcome = placeGroup(d, working, order, rand, placements);
    if (outcome.unplaced.length > 0 && opts.preempt !== false && d.importance > 0) {
      preemptGroup(d, working.all(), rand, outcome, placements, evictions, budget);
    }
    outcomes.push(outcome);
  }
  return { placements, outcomes, evictions };
}

/** One seeded permutation of the agents per pass; each group starts reading it at its own seeded offset. */
function shuffledOrder(n: number, rand: () => number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

function placeGroup(d: Demand, working: WorkingFleet, order: Uint32Array, rand: () => number, out: Placement[]): GroupOutcome {
  const pending = d.group.pending;
  const reasons: Record<string, number> = {};
  const n = working.length;
  // Bin-pack groups all read the pass's order from its start, so they pack the same agents; spread groups each
  // start at their own seeded offset, so they disperse over the fleet.
  const start = n > 0 && d.score === "spread" ? Math.floor(rand() * n) : 0;
  let scanned = 0;
  /** The next `size` feasible agents in this group's order; every rejection counted. */
  const nextBatch = (size: number): WorkingAgent[] => {
    const batch: WorkingAgent[] = [];
    while (scanned < n && batch.length < size) {
      const a = working.at(order[(start + scanned++) % n]!);
      const reason = checkFeasible(d, a);
      if (reason === null) batch.push(a);
      else countReason(reasons, reason);
    }
    return batch;
  };
  const feasible: WorkingAgent[] = [];
  let next = 0;
  while (next < pending.length) {
    const batch = nextBatch(Math.max(MIN_BATCH, 2 * (pending.length - next)));
    if (batch.length === 0) break;
    if (d.score !== "load") rankAgents(d, batch); // load orders the batch in its own heap
    next = d.score === "spread" ? dealSpread(d, batch, next, out) : d.score === "load" ? fillLoad(d, batch, next, out) : fillBinPack(d, batch, next, out);
    for (const a of batch) feasible.push(a);
  }
  const unplaced = pending.slice(next);
  if (unplaced.length > 0) {
    // Agents that were feasible but filled up during this pass count under the reason they fail now.
    for (const a of feasible) {
      const reason = checkFeasible(d, a);
      if (reason !== null) countReason(reasons, reason);
    }
  }
  return { groupId: d.id, placed: next, unplaced, reasons: unplaced.length > 0 ? reasons : {} };
}

/** Bin-pack: fill the best agent before the next. Returns the index of the next container to place. */
function fillBinPack(d: Demand, agents: WorkingAgent[], next: number, out: Placement[]): number {
  const pending = d.group.pending;
  for (const a of agents) {
    while (next < pending.length && checkFeasible(d, a) === null) out.push(assign(d, a, pending[next++]!, []));
    if (next >= pending.length) break;
  }
  return next;
}

/**
 * Load: each container to the agent of the batch whose load cost it raises least. Placing changes only the chosen
 * agent's score, so the batch sits in a max-heap (ties: the batch's seeded order) and only that agent is scored again.
 */
function fillLoad(d: Demand, agents: WorkingAgent[], next: number, out: Placement[]): number {
  const pending = d.group.pending;
  const heap = new ScoreHeap(agents.length);
  for (let i = 0; i < agents.length; i++) heap.push(i, loadScorer(d, agents[i]!));
  while (next < pending.length && heap.size > 0) {
    const i = heap.peek();
    const a = agents[i]!;
    if (checkFeasible(d, a) !== null) {
      heap.pop();
      continue;
    }
    out.push(assign(d, a, pending[next++]!, []));
    heap.updateTop(loadScorer(d, a)); // usually still the best: no move; checked again when next on top
  }
  return next;
}

/** Spread: one container per agent per round, best agents first, until they are full or none is left to place. */
function dealSpread(d: Demand, agents: WorkingAgent[], next: number, out: Placement[]): number {
  const pending = d.group.pending;
  let progress = true;
  while (next < pending.length && progress) {
    progress = false;
    for (const a of agents) {
      if (next >= pending.length) break;
      if (checkFeasible(d, a) === null) {
        out.push(assign(d, a, pending[next++]!, []));
        progress = true;
      }
    }
  }
  return next;
}
