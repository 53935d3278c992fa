// place(): the scheduling pass. Pure: same agents, groups and seed -> same placements.
//
//   groups (most important first) ──► for each group (one equivalence class):
//       feasibility pass over every agent once (checks.ts, rejections counted per reason)
//       ──► score the feasible agents (bin-pack: fullest first; spread: emptiest first; seeded shuffle breaks ties)
//       ──► fill: bin-pack fills one agent before the next; spread deals one container per agent per round
//       ──► each placement updates the agent's overlay (resources, ports, per-group count)
import { IMPORTANCE } from "../rpc/types.ts";
import { checkFeasible } from "./checks.ts";
import { seededRandom, shuffle } from "./random.ts";
import type { GroupOutcome, Placement, ScheduleOptions, ScheduleResult, SchedAgent, SchedGroup } from "./types.ts";
import { WorkingAgent } from "./working-agent.ts";

export function place(agents: readonly SchedAgent[], groups: readonly SchedGroup[], opts: ScheduleOptions): ScheduleResult {
  const rand = seededRandom(opts.seed);
  const working = agents.map((a) => new WorkingAgent(a));
  const ordered = [...groups].sort((x, y) => IMPORTANCE[y.jobType] - IMPORTANCE[x.jobType] || cmp(x.id, y.id));
  const placements: Placement[] = [];
  const outcomes: GroupOutcome[] = [];
  for (const g of ordered) {
    if (g.pending.length === 0) continue;
    outcomes.push(placeGroup(g, working, rand, placements));
  }
  return { placements, outcomes };
}

function placeGroup(g: SchedGroup, working: WorkingAgent[], rand: () => number, out: Placement[]): GroupOutcome {
  const reasons: Record<string, number> = {};
  const feasible: WorkingAgent[] = [];
  for (const a of working) {
    const reason = checkFeasible(g, a);
    if (reason === null) feasible.push(a);
    else reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  rankAgents(g, feasible, rand);
  let next = 0;
  const take = (a: WorkingAgent) => {
    out.push(assign(g, a, g.pending[next++]!));
  };
  if (g.spread) {
    let progress = true;
    while (next < g.pending.length && progress) {
      progress = false;
      for (const a of feasible) {
        if (next >= g.pending.length) break;
        if (checkFeasible(g, a) === null) {
          take(a);
          progress = true;
        }
      }
    }
  } else {
    for (const a of feasible) {
      while (next < g.pending.length && checkFeasible(g, a) === null) take(a);
      if (next >= g.pending.length) break;
    }
  }
  const unplaced = g.pending.slice(next);
  if (unplaced.length > 0) {
    // Agents that were feasible but filled up during this pass count under the reason they fail now.
    for (const a of feasible) {
      const reason = checkFeasible(g, a);
      if (reason !== null) reasons[reason] = (reasons[reason] ?? 0) + 1;
    }
  }
  return { groupId: g.id, placed: next, unplaced, reasons: unplaced.length > 0 ? reasons : {} };
}

/** Orders feasible agents by score; a seeded shuffle first so ties never fall to insertion order. */
function rankAgents(g: SchedGroup, agents: WorkingAgent[], rand: () => number): void {
  shuffle(agents, rand);
  const score = new Map<WorkingAgent, number>();
  for (const a of agents) score.set(a, g.spread ? -(a.countOf(g.id) * 10 + a.dominantShare()) : a.dominantShare());
  agents.sort((x, y) => score.get(y)! - score.get(x)!);
}

function assign(g: SchedGroup, a: WorkingAgent, containerId: string): Placement {
  const ports = g.ports.map((p) => {
    if (p.port !== 0) {
      a.markPort(p.port);
      return { name: p.name, port: p.port };
    }
    const port = a.takeDynamicPort();
    if (port === null) throw new Error(`invariant: ports check passed but ${a.endpoint} has no free port`);
    return { name: p.name, port };
  });
  a.addContainer(g.id, g.resources, g.jobType === "batch" || g.jobType === "best-effort");
  return { containerId, groupId: g.id, agent: a.endpoint, ports };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
