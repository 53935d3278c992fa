import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { rebalance, SearchState, temperatureAt, type RebalanceProblem } from "./rebalance.ts";

const curve = (...v: number[]) => Float64Array.from(v);
/** A clock that advances one per call: the search runs a fixed number of rounds, the same every time. */
const ticks = (n: number) => { let t = 0; return { now: () => t++, until: n }; };

function cost(p: RebalanceProblem, agentOf: ArrayLike<number>): number {
  let total = 0;
  p.agents.forEach((a, ai) => {
    const on = p.items.map((_, i) => i).filter((i) => agentOf[i] === ai);
    if (on.length === 0) return;
    const T = p.kinds[0]!.cpu.length;
    let over = 0;
    for (let t = 0; t < T; t++) {
      const u = on.reduce((s, i) => s + p.kinds[p.items[i]!.kind]!.cpu[t]!, 0) / a.cpu;
      over += Math.exp(Math.max(0, u - a.target)) - 1;
    }
    total += 1 + (p.weight * over) / T;
  });
  return total;
}

/** Every rule the rebalancer must keep, checked from scratch: capacity at every point, scalars, max_per_host, anti-affinity. */
function broken(p: RebalanceProblem, agentOf: ArrayLike<number>): string[] {
  const out: string[] = [];
  p.agents.forEach((a, ai) => {
    const on = p.items.map((_, i) => i).filter((i) => agentOf[i] === ai);
    const count = new Map<number, number>();
    for (const i of on) count.set(p.items[i]!.kind, (count.get(p.items[i]!.kind) ?? 0) + 1);
    const T = p.kinds[0]!.cpu.length;
    for (let t = 0; t < T; t++) {
      if (on.reduce((s, i) => s + p.kinds[p.items[i]!.kind]!.cpu[t]!, 0) > a.cpu + 1e-6) out.push(`${a.id} cpu at ${t}`);
      if (on.reduce((s, i) => s + p.kinds[p.items[i]!.kind]!.memory[t]!, 0) > a.memory + 1e-6) out.push(`${a.id} memory at ${t}`);
    }
    for (const i of on) if (p.kinds[p.items[i]!.kind]!.only && !p.kinds[p.items[i]!.kind]!.only![ai]) out.push(`${a.id} not allowed for ${p.items[i]!.id}`);
    a.scalars.forEach((cap, d) => { if (on.reduce((s, i) => s + p.kinds[p.items[i]!.kind]!.scalars[d]!, 0) > cap + 1e-6) out.push(`${a.id} scalar ${d}`); });
    for (const [k, n] of count) {
      const kind = p.kinds[k]!;
      if (kind.maxPerHost > 0 && n > kind.maxPerHost) out.push(`${a.id} max_per_host of ${kind.id}`);
      for (const r of kind.anti) if (r.kind !== k && (count.get(r.kind) ?? 0) > r.k) out.push(`${a.id} ${kind.id} with ${count.get(r.kind)} of ${p.kinds[r.kind]!.id}`);
    }
  });
  return out;
}

const agent = (id: string, cpu = 10, memory = 10, extra: Partial<RebalanceProblem["agents"][number]> = {}) => ({ id, cpu, memory, scalars: [100], target: 0.5, open: true, ...extra });
const kind = (id: string, cpu: number[], extra: Partial<RebalanceProblem["kinds"][number]> = {}) => ({ id, cpu: curve(...cpu), memory: curve(...cpu.map(() => 1)), scalars: [1], maxPerHost: 0, anti: [], ...extra });

describe("rebalance", () => {
  test("spreads an overloaded agent onto an unused one and says which containers move", () => {
    const p: RebalanceProblem = {
      weight: 10,
      agents: [agent("a"), agent("b")],
      kinds: [kind("web", [3, 3])],
      items: [0, 1, 2].map((i) => ({ id: `web-${i}`, kind: 0, agent: 0, movable: true })),
    };
    const r = rebalance(p, { ...ticks(50), seed: 1, temperature: 0 });
    expect(r.costBefore).toBeCloseTo(cost(p, p.items.map((it) => it.agent)), 9); // 1 + 10 (e^0.4 - 1) = 5.92
    expect(r.costAfter).toBeLessThan(r.costBefore);
    expect(r.costAfter).toBeCloseTo(cost(p, r.agentOf), 9);
    expect(r.agentsAfter).toBe(2);
    expect(r.moves.length).toBe(1);
    expect(broken(p, r.agentOf)).toEqual([]);
  });

  test("complementary curves end up together: a day job next to a night job, not two day jobs", () => {
    const p: RebalanceProblem = {
      weight: 10,
      agents: [agent("a"), agent("b")],
      kinds: [kind("day", [4, 0]), kind("night", [0, 4])],
      items: [
        { id: "day-0", kind: 0, agent: 0, movable: true }, { id: "day-1", kind: 0, agent: 0, movable: true },
        { id: "night-0", kind: 1, agent: 1, movable: true }, { id: "night-1", kind: 1, agent: 1, movable: true },
      ],
    };
    const r = rebalance(p, { ...ticks(50), seed: 2 });
    expect(r.costAfter).toBeCloseTo(2, 9); // both agents at 0.4 all day
    for (const a of [0, 1]) expect(new Set(p.items.filter((_, i) => r.agentOf[i] === a).map((it) => it.kind)).size).toBe(2);
  });

  test("keeps anti-affinity both ways, max_per_host, and leaves pinned containers and closed agents alone", () => {
    const p: RebalanceProblem = {
      weight: 10,
      agents: [agent("a"), agent("b"), agent("c", 10, 10, { open: false }), agent("d")],
      kinds: [kind("web", [3]), kind("db", [3], { anti: [{ kind: 0, k: 0 }] }), kind("cache", [3], { maxPerHost: 1 })],
      items: [
        { id: "web-0", kind: 0, agent: 0, movable: true }, { id: "web-1", kind: 0, agent: 0, movable: true },
        { id: "db-0", kind: 1, agent: 1, movable: true }, { id: "db-1", kind: 1, agent: 1, movable: true },
        { id: "cache-0", kind: 2, agent: 3, movable: false }, { id: "web-2", kind: 0, agent: 3, movable: true },
      ],
    };
    const r = rebalance(p, { ...ticks(200), seed: 3 });
    expect(broken(p, r.agentOf)).toEqual([]);
    expect(r.agentOf[4]).toBe(3); // pinned
    expect([...r.agentOf].includes(2)).toBe(false); // closed agent
    for (let a = 0; a < 4; a++) {
      const kinds = new Set(p.items.filter((_, i) => r.agentOf[i] === a).map((it) => it.kind));
      expect(kinds.has(0) && kinds.has(1)).toBe(false); // db never with web
    }
  });

  test("replaying the moves in order from the start gives the final placement", () => {
    const p: RebalanceProblem = {
      weight: 10,
      agents: [agent("a"), agent("b"), agent("c")],
      kinds: [kind("x", [2, 4, 1]), kind("y", [4, 1, 2])],
      items: Array.from({ length: 6 }, (_, i) => ({ id: `i${i}`, kind: i % 2, agent: 0, movable: true })),
    };
    const r = rebalance(p, { ...ticks(100), seed: 4 });
    const at = p.items.map((it) => it.agent);
    for (const m of r.moves) {
      expect(at[m.item]).toBe(m.from);
      at[m.item] = m.to;
    }
    expect(at).toEqual([...r.agentOf]);
    expect(new Set(r.moves.map((m) => m.item)).size).toBe(r.moves.length); // each container moves once
  });

  test("property: any problem comes out valid (when it went in valid) and never costlier", () => {
    const problem = fc.record({
      agents: fc.array(fc.record({ cpu: fc.integer({ min: 4, max: 16 }), memory: fc.integer({ min: 4, max: 16 }), disk: fc.integer({ min: 1, max: 4 }), open: fc.boolean() }), { minLength: 2, maxLength: 6 }),
      kinds: fc.array(fc.record({ cpu: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 3, maxLength: 3 }), mem: fc.integer({ min: 1, max: 3 }), maxPerHost: fc.integer({ min: 0, max: 3 }), anti: fc.option(fc.integer({ min: 0, max: 5 })), only: fc.option(fc.array(fc.boolean(), { minLength: 6, maxLength: 6 })) }), { minLength: 1, maxLength: 4 }),
      items: fc.array(fc.record({ kind: fc.nat(), agent: fc.nat(), movable: fc.boolean() }), { maxLength: 14 }),
      seed: fc.nat(),
    });
    fc.assert(fc.property(problem, (g) => {
      const p: RebalanceProblem = {
        weight: 10,
        agents: g.agents.map((a, i) => ({ id: `a${i}`, cpu: a.cpu, memory: a.memory, scalars: [a.disk], target: 0.5, open: a.open })),
        kinds: g.kinds.map((k, i) => ({
          id: `k${i}`, cpu: Float64Array.from(k.cpu), memory: Float64Array.from(k.cpu, () => k.mem), scalars: [1], maxPerHost: k.maxPerHost,
          anti: k.anti === null ? [] : [{ kind: k.anti % g.kinds.length, k: 0 }],
          ...(k.only ? { only: Uint8Array.from(k.only, (b) => (b ? 1 : 0)) } : {}),
        })),
        items: [],
      };
      // Items placed first-fit where valid (the input must be a valid placement), the rest left unplaced.
      const items: RebalanceProblem["items"][number][] = [];
      for (const [n, it] of g.items.entries()) {
        const k = it.kind % p.kinds.length;
        const want = it.agent % p.agents.length;
        const trial = [...items, { id: `i${n}`, kind: k, agent: want, movable: it.movable }];
        const ok = broken({ ...p, items: trial }, trial.map((x) => x.agent)).length === 0;
        items.push({ id: `i${n}`, kind: k, agent: ok ? want : -1, movable: it.movable });
      }
      const full = { ...p, items };
      for (const cool of [100, 0]) { // targets ranked by the index, and sampled
        const r = rebalance(full, { ...ticks(30), seed: g.seed, cool });
        expect(broken(full, r.agentOf)).toEqual([]);
        expect(r.costAfter).toBeLessThanOrEqual(r.costBefore + 1e-9);
        expect(r.costAfter).toBeCloseTo(cost(full, r.agentOf), 6);
        items.forEach((it, i) => { if (!it.movable || it.agent < 0) expect(r.agentOf[i]).toBe(it.agent); });
        for (const m of r.moves) expect(full.agents[m.to]!.open).toBe(true);
      }
    }), { numRuns: 300 });
  });

  test("a swap counts what leaves: room, scalars and anti-affinity once the other container is gone", () => {
    const p: RebalanceProblem = {
      weight: 10,
      agents: [{ ...agent("a", 10, 10), scalars: [3] }],
      kinds: [
        kind("x", [2], { scalars: [1] }), kind("z", [2], { scalars: [2] }), kind("w", [2], { scalars: [2] }), kind("v", [2], { scalars: [1] }),
        kind("q", [2], { scalars: [0], anti: [{ kind: 0, k: 0 }] }),
      ],
      items: [{ id: "x", kind: 0, agent: 0, movable: true }, { id: "z", kind: 1, agent: 0, movable: true }],
    };
    const s = new SearchState(p, 1);
    expect(s.fitsSwap(0, 2, 0)).toBe(false); // 3 - 1 + 2 = 4 > 3
    expect(s.fitsSwap(0, 3, 0)).toBe(true); // 3 - 1 + 1 = 3
    expect(s.fits(0, 4)).toBe(false); // q keeps away from x...
    expect(s.fitsSwap(0, 4, 0)).toBe(true); // ...which is leaving
    expect(s.fitsSwap(0, 4, 1)).toBe(false);
  });

  test("a swap's quick answer counts only the least of what leaves, at the point where the agent is fullest", () => {
    const p: RebalanceProblem = {
      weight: 10,
      agents: [agent("a", 10, 10)],
      kinds: [kind("early", [5, 0]), kind("late", [0, 5]), kind("flat", [6, 6])],
      items: [{ id: "early", kind: 0, agent: 0, movable: true }, { id: "late", kind: 1, agent: 0, movable: true }],
    };
    const s = new SearchState(p, 1);
    expect(s.fitsSwap(0, 2, 0)).toBe(false); // flat for early: 6 + 5 = 11 at the second point
    expect(s.fitsSwap(0, 2, 1)).toBe(false);
  });

  test("ranked targets: a container leaves for the one agent whose load is low when its own is high", () => {
    // agent 0 runs three day jobs (0.6 by day); 59 agents run a bigger day job each (one more would cost there);
    // the last runs a night job: the only agent that takes a day job for nothing
    const agents = Array.from({ length: 61 }, (_, i) => agent(`a${i}`));
    const items = [0, 1, 2].map((i) => ({ id: `day-${i}`, kind: 0, agent: 0, movable: true }));
    for (let a = 1; a < 60; a++) items.push({ id: `big-${a}`, kind: 1, agent: a, movable: false });
    items.push({ id: "night", kind: 2, agent: 60, movable: false });
    const p: RebalanceProblem = { weight: 10, agents, kinds: [kind("day", [2, 0]), kind("big", [4.5, 0]), kind("night", [0, 4.5])], items };
    const r = rebalance(p, { ...ticks(2), seed: 1, temperature: 0 }); // one round
    expect(r.moves.length).toBe(1);
    expect(r.moves[0]!.to).toBe(60);
    expect(r.costAfter).toBeCloseTo(61, 9);
  });

  test("annealing cools from its temperature to 0 over its share of the time, then only improving moves", () => {
    expect(temperatureAt(0, 850, 0.1)).toBeCloseTo(0.1, 12);
    expect(temperatureAt(425, 850, 0.1)).toBeCloseTo(0.05, 12);
    expect(temperatureAt(850, 850, 0.1)).toBe(0);
    expect(temperatureAt(999, 850, 0.1)).toBe(0);
    expect(temperatureAt(5, 0, 0.1)).toBe(0);
  });
});
