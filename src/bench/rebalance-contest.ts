// The rebalancer on the Tianchi problem: the contest's placement as a RebalanceProblem (machines -> agents, apps ->
// kinds with their 98-point curves, disk/P/M/PM as scalars, interference rules as max_per_host and anti-affinity),
// and back. The contest's own judge (contest-score.ts) scores the result, not the rebalancer's bookkeeping.
import { rebalance, type RebalanceProblem, type RebalanceResult } from "../scheduler/rebalance.ts";
import type { ContestProblem } from "./contest-score.ts";

export interface ContestRebalance {
  placement: Map<string, string>;
  result: RebalanceResult;
  seconds: number;
}

/** The contest placement (instance -> machine) as a rebalance problem: weight 10, target 0.5 (the contest's cost). */
export function contestRebalanceProblem(problem: ContestProblem, placement: ReadonlyMap<string, string>): RebalanceProblem {
  const machineIndex = new Map(problem.machines.map((m, i) => [m.id, i]));
  const appIds = [...problem.apps.keys()];
  const kindIndex = new Map(appIds.map((a, i) => [a, i]));
  const maxPerHost = new Map<string, number>();
  const anti = new Map<string, { kind: number; k: number }[]>();
  for (const r of problem.rules) {
    if (!kindIndex.has(r.a) || !kindIndex.has(r.b)) continue;
    if (r.a === r.b) maxPerHost.set(r.a, Math.min(maxPerHost.get(r.a) ?? Infinity, r.k + 1));
    else anti.set(r.a, [...(anti.get(r.a) ?? []), { kind: kindIndex.get(r.b)!, k: r.k }]);
  }
  return {
    weight: 10,
    agents: problem.machines.map((m) => ({ id: m.id, cpu: m.cpu, memory: m.memory, scalars: [m.disk, m.p, m.m, m.pm], target: 0.5, open: true })),
    kinds: appIds.map((id) => {
      const a = problem.apps.get(id)!;
      return { id, cpu: Float64Array.from(a.cpu), memory: Float64Array.from(a.memory), scalars: [a.disk, a.p, a.m, a.pm], maxPerHost: maxPerHost.get(id) ?? 0, anti: anti.get(id) ?? [] };
    }),
    items: problem.instances.map((inst) => {
      const m = placement.get(inst.id);
      return { id: inst.id, kind: kindIndex.get(inst.app)!, agent: m === undefined ? -1 : (machineIndex.get(m) ?? -1), movable: true };
    }),
  };
}

/** Rebalances a contest placement for `seconds` of wall-clock time. */
export function rebalanceContest(problem: ContestProblem, placement: ReadonlyMap<string, string>, seconds: number, seed = 1): ContestRebalance {
  const start = performance.now();
  const rp = contestRebalanceProblem(problem, placement);
  const result = rebalance(rp, { now: () => performance.now(), until: start + seconds * 1000, seed });
  const out = new Map<string, string>();
  rp.items.forEach((it, i) => { const a = result.agentOf[i]!; if (a >= 0) out.set(it.id, rp.agents[a]!.id); });
  return { placement: out, result, seconds: (performance.now() - start) / 1000 };
}
