import { describe, expect, test } from "bun:test";
import { prepare } from "./demand.ts";
import { binPackScorer, rankAgents, spreadScorer } from "./score.ts";
import { agent, G, group, res } from "./test-fixtures.ts";
import { WorkingAgent } from "./working-agent.ts";

const w = (endpoint: string, cpu: number, mem: number, counts: [string, number][] = []) =>
  new WorkingAgent(agent(endpoint, { total: res(4000, 8 * G), assigned: res(cpu, mem * G), groupCount: new Map(counts) }));

describe("scorers", () => {
  const d = prepare(group("g", 1));
  const rows: { name: string; a: WorkingAgent; binPack: number; spread: number }[] = [
    { name: "empty agent", a: w("a", 0, 0), binPack: 0, spread: -0 },
    { name: "cpu dominant", a: w("a", 2000, 2), binPack: 0.5, spread: -0.5 },
    { name: "memory dominant", a: w("a", 1000, 6), binPack: 0.75, spread: -0.75 },
    { name: "one of the group already", a: w("a", 1000, 0, [["g", 1]]), binPack: 0.25, spread: -10.25 },
  ];
  for (const r of rows) {
    test(r.name, () => {
      expect(binPackScorer(d, r.a)).toBeCloseTo(r.binPack);
      expect(spreadScorer(d, r.a)).toBeCloseTo(r.spread);
    });
  }

  test("bin-pack ranks the fullest first; spread the emptiest, fewest of the group first", () => {
    const agents = [w("empty", 0, 0), w("half", 2000, 0), w("full", 3000, 0), w("mine", 0, 0, [["g", 1]])];
    const packed = [...agents];
    rankAgents(d, packed);
    expect(packed.map((a) => a.endpoint)).toEqual(["full", "half", "empty", "mine"]);
    const spread = [...agents];
    rankAgents(prepare(group("g", 1, { spread: true })), spread);
    expect(spread.map((a) => a.endpoint)).toEqual(["empty", "half", "full", "mine"]);
  });

  test("equal scores keep the (shuffled) input order", () => {
    const agents = [w("c", 0, 0), w("a", 0, 0), w("b", 0, 0)];
    rankAgents(d, agents);
    expect(agents.map((a) => a.endpoint)).toEqual(["c", "a", "b"]);
  });
});
