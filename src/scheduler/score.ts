// Scorers: higher is better. Bin-pack (the default) fills the fullest feasible agent on its dominant resource, so
// whole agents stay free for big containers; spread (`deploy.spread`) prefers agents with fewer of the group's
// containers, then the emptiest. Ties are broken by the pass's seeded shuffle, never by input order alone.
import type { Demand } from "./demand.ts";
import type { WorkingAgent } from "./working-agent.ts";

export type Scorer = (d: Demand, a: WorkingAgent) => number;

export const binPackScorer: Scorer = (_d, a) => a.dominantShare();

export const spreadScorer: Scorer = (d, a) => -(a.countOf(d.id) * 10 + a.dominantShare());

export const scorerFor = (d: Demand): Scorer => (d.group.spread ? spreadScorer : binPackScorer);

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
