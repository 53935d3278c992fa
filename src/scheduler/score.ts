// Scorers: higher is better. Load (the default, DEFAULT_SCORE) adds the least load cost; bin-pack
// (`deploy.score: binpack`) fills the fullest feasible agent on its dominant resource, so whole agents stay free for
// big containers; spread (`deploy.spread`) prefers agents with fewer of the group's containers, then the emptiest.
//
//   cost(agent) = 0 when it holds nothing, else LOAD_OPEN_COST + LOAD_WEIGHT * (e^max(0, u - target) - 1)
//   u = the agent's cpu utilisation (assigned / its cores; a profiled container: the peak of the summed curves),
//   target = its pool's or the cluster's (SchedAgent.loadTarget)
//
// so a container goes where cost(after) - cost(before) is least: on an agent in use below its target (free), else
// where the convex part grows least, which is the bigger machine for the same cores (aware of shape), else on a new
// agent (LOAD_OPEN_COST) when every agent in use is far enough above its target. Ties go to the fullest (bin-pack), then the
// pass's seeded shuffle, never input order alone.
import type { Demand } from "./demand.ts";
import { DEFAULT_LOAD_TARGET, LOAD_OPEN_COST, LOAD_WEIGHT } from "./score-kind.ts";
import type { WorkingAgent } from "./working-agent.ts";

export type Scorer = (d: Demand, a: WorkingAgent) => number;

export const binPackScorer: Scorer = (_d, a) => a.dominantShare();

export const spreadScorer: Scorer = (d, a) => -(a.countOf(d.id) * 10 + a.dominantShare());

/** An agent's load cost at `cpu` millicores assigned (0 when it holds nothing). */
export function loadCost(cpu: number, total: number, target: number, used: boolean): number {
  if (!used) return 0;
  const over = (total > 0 ? cpu / total : 1) - target;
  return over > 0 ? LOAD_OPEN_COST + LOAD_WEIGHT * (Math.exp(over) - 1) : LOAD_OPEN_COST;
}

/** What placing one container of the demand adds to the agent's load cost. */
export function addedLoadCost(d: Demand, a: WorkingAgent): number {
  const total = a.base.total.millicores;
  const target = a.loadTarget(DEFAULT_LOAD_TARGET);
  const used = a.cpu > 0 || a.memory > 0 || a.disk > 0 || a.ssd > 0;
  // a profiled container: utilisation as the peak of the summed curves, before and after
  const before = d.profile ? a.profiledCpu() : a.cpu;
  const after = d.profile ? a.profiledCpu(d.profile) : a.cpu + d.shared.millicores;
  return loadCost(after, total, target, true) - loadCost(before, total, target, used);
}

/**
 * Least added cost first; among equal costs the fullest, then the biggest (an agent in use costs the same whatever its size,
 * so the biggest opened first holds the most below its target). Both tie-breaks are far below any cost step.
 */
export const loadScorer: Scorer = (d, a) => -addedLoadCost(d, a) + 1e-6 * a.dominantShare() + 1e-14 * a.base.total.millicores;

export const scorerFor = (d: Demand): Scorer => (d.score === "spread" ? spreadScorer : d.score === "load" ? loadScorer : binPackScorer);

/** Sorts agents best first by the demand's scorer; the caller shuffled them with the pass's seed beforehand. */
export function rankAgents(d: Demand, agents: WorkingAgent[]): void {
  if (agents.length < 2) return;
  const scorer = scorerFor(d);
  const scores = new Float64Array(agents.length);
  const order = new Uint32Array(agents.length);
  for (let i = 0; i < agents.length; i++) {
    scores[i] = scorer(d, agents[i]!);
    order[i] = i;
  }
  order.sort((x, y) => scores[y]! - scores[x]! || x - y); // stable on the shuffled order
  const copy = agents.slice();
  for (let i = 0; i < order.length; i++) agents[i] = copy[order[i]!]!;
}

/** A max-heap of agent indexes by score; equal scores pop the lower index first (the ranked batch's order). */
export class ScoreHeap {
  private readonly ids: Uint32Array;
  private readonly scores: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.ids = new Uint32Array(capacity);
    this.scores = new Float64Array(capacity);
  }

  push(id: number, score: number): void {
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(id, score, this.ids[p]!, this.scores[p]!)) break;
      this.ids[i] = this.ids[p]!;
      this.scores[i] = this.scores[p]!;
      i = p;
    }
    this.ids[i] = id;
    this.scores[i] = score;
  }

  /** The best index, left in the heap (the caller checks size > 0). */
  peek(): number {
    return this.ids[0]!;
  }

  /** The best index, taken out (the caller checks size > 0). */
  pop(): number {
    const top = this.ids[0]!;
    const n = --this.size;
    if (n > 0) this.siftDown(this.ids[n]!, this.scores[n]!);
    return top;
  }

  /** Gives the best index a new score and moves it down while another is better (at the root, only up is free). */
  updateTop(score: number): void {
    this.siftDown(this.ids[0]!, score);
  }

  private siftDown(id: number, score: number): void {
    const n = this.size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.before(this.ids[r]!, this.scores[r]!, this.ids[l]!, this.scores[l]!) ? r : l;
      if (!this.before(this.ids[c]!, this.scores[c]!, id, score)) break;
      this.ids[i] = this.ids[c]!;
      this.scores[i] = this.scores[c]!;
      i = c;
    }
    this.ids[i] = id;
    this.scores[i] = score;
  }

  private before(a: number, sa: number, b: number, sb: number): boolean {
    return sa > sb || (sa === sb && a < b);
  }
}
