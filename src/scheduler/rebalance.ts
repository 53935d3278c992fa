// The rebalancer (issue 18, item 4): moves that lower the load cost of a placement that is already running, pure.
//
//   cost = sum over agents in use of  1 + W * mean over the points t of (exp(max(0, u_t - target)) - 1)
//          u_t = the agent's cpu at point t (sum of its containers' cpu curves) / its cpu
// (the load score of score-kind.ts; with W = 10 and target 0.5 it is the Tianchi contest's cost). Containers of one
// kind (a group) are identical: curves of cpu and memory over the same points (one point when there are no usage
// profiles: the request), scalar sizes (disk, ...), max_per_host and anti-affinity with other kinds.
//
// A local search within a time budget, every move kept valid (capacity at every point, every scalar, max_per_host,
// anti-affinity both ways):
//   relieve  a container off an agent above its target to the agent that takes it for least among the few an index
//            ranks best (rebalance-rank.ts: the coolest when the container is busy), else swapped with one of
//            another kind on a sampled agent
//   close    every container off a lightly used agent, when the others take them for less than the agent costs
//   open     an unused agent (the largest first) takes containers from the hottest agents while that pays
// Annealing (worse moves taken with a falling probability) for most of the time, then only improving moves; the
// result is never worse than the input (else no moves); moves are listed in order. State and steps: rebalance-state.ts.
import { SearchState } from "./rebalance-state.ts";
import type { RebalanceMove, RebalanceOptions, RebalanceProblem, RebalanceResult } from "./rebalance-types.ts";

export { SearchState } from "./rebalance-state.ts";
export type { RebalanceAgent, RebalanceItem, RebalanceKind, RebalanceMove, RebalanceOptions, RebalanceProblem, RebalanceResult, RebalanceStats } from "./rebalance-types.ts";

/** Runs the search; `problem` is not changed. */
export function rebalance(problem: RebalanceProblem, o: RebalanceOptions): RebalanceResult {
  const steps = rebalanceSteps(problem, o);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * The search a round at a time (a round: 500 relieve tries, an open, a close every fourth): a shell that must keep
 * its event loop turning (ResMan) resumes it on later turns; the clock decides when it ends.
 */
export function* rebalanceSteps(problem: RebalanceProblem, o: RebalanceOptions): Generator<void, RebalanceResult, void> {
  const s = new SearchState(problem, o.seed ?? 1, o.cool ?? 100);
  const costBefore = s.total();
  const agentsBefore = s.used.length;
  const maxMoves = o.maxMoves ?? Infinity;
  const sample = o.sample ?? 64; // Tianchi, 60 s: 24 -> 6,084, 64 -> 6,076, 96 -> 6,078 (swaps: 2 x sample tries)
  const hot = o.hot ?? 64;
  let round = 0;
  const t0 = o.now(), span = Math.max(1, o.until - t0);
  const T0 = o.temperature ?? 0.1;
  const annealed = span * (o.cooling ?? 0.85); // then only improving moves: at 2,000 rounds on Tianchi 6,087 against 6,093 annealing to the end
  while (s.used.length > 0 && o.now() < o.until && s.moves.length < maxMoves) {
    round++;
    s.temperature = temperatureAt(o.now() - t0, annealed, T0);
    s.noteCool();
    for (let i = 0; i < 500; i++) s.relieve(sample);
    if (round % 4 === 0) s.close(sample);
    s.open(hot);
    yield;
  }
  if (s.total() > costBefore) return { moves: [], agentOf: Int32Array.from(problem.items, (it) => it.agent), costBefore, costAfter: costBefore, agentsBefore, agentsAfter: agentsBefore, tries: s.tries, kept: s.stats };
  const moves = compact(s.moves);
  return { moves, agentOf: s.agentOf, costBefore, costAfter: s.total(), agentsBefore, agentsAfter: s.used.length, tries: s.tries, kept: s.stats };
}

/** Simulated annealing's temperature `elapsed` into a search annealed for `annealed`: from T0 down to 0, then 0. */
export function temperatureAt(elapsed: number, annealed: number, T0: number): number {
  return annealed > 0 ? T0 * Math.max(0, 1 - elapsed / annealed) : 0;
}

/** A container moved twice counts once (from its first agent to its last); one that came back is no move. */
function compact(moves: readonly RebalanceMove[]): RebalanceMove[] {
  const first = new Map<number, RebalanceMove>();
  for (const m of moves) {
    const f = first.get(m.item);
    if (f) f.to = m.to;
    else first.set(m.item, { ...m });
  }
  return [...first.values()].filter((m) => m.from !== m.to);
}
