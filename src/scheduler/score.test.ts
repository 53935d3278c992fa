import { describe, expect, test } from "bun:test";
import { prepare } from "./demand.ts";
import { DEFAULT_SCORE, LOAD_OPEN_COST } from "./score-kind.ts";
import { addedLoadCost, binPackScorer, loadCost, rankAgents, ScoreHeap, spreadScorer } from "./score.ts";
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

describe("load score", () => {
  const cost = (cores: number, used: number, target?: number) =>
    new WorkingAgent(agent("a", { total: res(cores * 1000, 64 * G), assigned: res(used * 1000, used > 0 ? G : 0), ...(target !== undefined ? { loadTarget: target } : {}) }));
  const d = prepare(group("g", 1, { score: "load", resources: res(1000, 0) }));

  test("cost: 0 unused; 0.7 in use up to the target; 0.7 + 10 (e^(u - target) - 1) above", () => {
    expect(LOAD_OPEN_COST).toBe(0.7);
    expect(loadCost(0, 4000, 0.5, false)).toBe(0);
    expect(loadCost(0, 4000, 0.5, true)).toBe(0.7);
    expect(loadCost(2000, 4000, 0.5, true)).toBe(0.7);
    expect(loadCost(3000, 4000, 0.5, true)).toBeCloseTo(0.7 + 10 * (Math.exp(0.25) - 1), 12);
    expect(loadCost(3000, 4000, 0.8, true)).toBe(0.7);
  });

  test("added cost: opening an agent costs 0.7; below the target nothing; above it the convex step", () => {
    expect(addedLoadCost(d, cost(4, 0))).toBeCloseTo(0.7, 12);
    expect(addedLoadCost(d, cost(4, 1))).toBeCloseTo(0, 12);
    expect(addedLoadCost(d, cost(4, 2))).toBeCloseTo(10 * (Math.exp(0.25) - 1), 12);
    expect(addedLoadCost(d, cost(4, 3))).toBeCloseTo(10 * (Math.exp(0.5) - Math.exp(0.25)), 12);
  });

  test("aware of shape: the same cores cost less on the bigger machine", () => {
    expect(addedLoadCost(d, cost(92, 60))).toBeLessThan(addedLoadCost(d, cost(32, 20)));
  });

  test("the agent's target (its pool's or the cluster's) replaces the default", () => {
    expect(addedLoadCost(d, cost(4, 2, 0.9))).toBeCloseTo(0, 12);
    expect(addedLoadCost(d, cost(4, 1, 0.25))).toBeCloseTo(10 * (Math.exp(0.25) - 1), 12);
  });

  test("ranks: in use below target first (fullest first), then the biggest new agent, then the hot ones", () => {
    const agents = [
      new WorkingAgent(agent("hot", { total: res(4000, 64 * G), assigned: res(3000, G) })),
      new WorkingAgent(agent("new-small", { total: res(4000, 64 * G) })),
      new WorkingAgent(agent("new-big", { total: res(16000, 64 * G) })),
      new WorkingAgent(agent("cool", { total: res(8000, 64 * G), assigned: res(1000, G) })),
      new WorkingAgent(agent("warm", { total: res(8000, 64 * G), assigned: res(2000, G) })),
    ];
    rankAgents(d, agents);
    expect(agents.map((a) => a.endpoint)).toEqual(["warm", "cool", "new-big", "new-small", "hot"]);
  });
});

describe("the default score", () => {
  test("a group naming no score gets DEFAULT_SCORE (load, chosen by measurement); spread: true means spread", () => {
    expect(DEFAULT_SCORE).toBe("load");
    expect(prepare({ ...group("g", 1), score: undefined }).score).toBe("load");
    expect(prepare({ ...group("g", 1), score: undefined, spread: true }).score).toBe("spread");
    expect(prepare(group("g", 1, { score: "binpack" })).score).toBe("binpack");
  });
});

describe("ScoreHeap", () => {
  test("pops the highest score first, equal scores by the lower index", () => {
    const h = new ScoreHeap(8);
    [[0, 1], [1, 5], [2, 3], [3, 5], [4, -2], [5, 3]].forEach(([i, s]) => h.push(i!, s!));
    const out: number[] = [];
    while (h.size > 0) out.push(h.pop());
    expect(out).toEqual([1, 3, 2, 5, 0, 4]);
  });

  test("updateTop rescores the best in place: it stays on top while still the best, else sinks", () => {
    const h = new ScoreHeap(4);
    [[0, 9], [1, 5], [2, 7]].forEach(([i, s]) => h.push(i!, s!));
    expect(h.peek()).toBe(0);
    h.updateTop(8);
    expect(h.peek()).toBe(0);
    h.updateTop(6);
    expect(h.peek()).toBe(2);
    const out: number[] = [];
    while (h.size > 0) out.push(h.pop());
    expect(out).toEqual([2, 0, 1]);
  });
});
