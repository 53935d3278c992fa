import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { formatReasons } from "./checks.ts";
import { place } from "./place.ts";
import type { SchedAgent, SchedGroup } from "./types.ts";

const G = 1024 ** 3;
function agent(endpoint: string, over: Partial<SchedAgent> = {}): SchedAgent {
  return {
    endpoint, pool: "default", labels: [], state: "alive",
    total: { millicores: 4000, memory: 8 * G, disk: 100 * G, ssd: 0 },
    assigned: { millicores: 0, memory: 0, disk: 0, ssd: 0 },
    usedPorts: new Set(), portMin: 20000, portMax: 20099, groupCount: new Map(), batchCount: 0, maxBatch: 0,
    ...over,
  };
}
function group(id: string, n: number, over: Partial<SchedGroup> = {}): SchedGroup {
  return {
    id, jobType: "service", resources: { millicores: 1000, memory: 1 * G, disk: 0, ssd: 0 }, ports: [], volumes: [],
    pools: ["default"], labels: [], maxPerHost: 0, spread: false, blacklist: [],
    pending: Array.from({ length: n }, (_, i) => `${id}.${i}`), ...over,
  };
}

describe("place", () => {
  test("bin-pack fills one agent before the next", () => {
    const r = place([agent("a"), agent("b")], [group("web", 3)], { seed: 1 });
    const used = new Set(r.placements.map((p) => p.agent));
    expect(r.placements).toHaveLength(3);
    expect(used.size).toBe(1);
  });

  test("spread deals one per agent", () => {
    const r = place([agent("a"), agent("b"), agent("c")], [group("web", 3, { spread: true })], { seed: 1 });
    expect(new Set(r.placements.map((p) => p.agent)).size).toBe(3);
  });

  test("bin-pack prefers the fuller agent", () => {
    const full = agent("full", { assigned: { millicores: 2000, memory: 0, disk: 0, ssd: 0 } });
    const r = place([agent("empty"), full], [group("web", 1)], { seed: 7 });
    expect(r.placements[0]!.agent).toBe("full");
  });

  test("unplaced containers carry reasons counted per agent", () => {
    const r = place(
      [agent("a"), agent("b", { pool: "other" }), agent("c", { state: "offline" })],
      [group("big", 6, { resources: { millicores: 1000, memory: 3 * G, disk: 0, ssd: 0 } })],
      { seed: 1 },
    );
    expect(r.placements).toHaveLength(2);
    expect(r.outcomes[0]!.reasons).toEqual({ pool: 1, "agent offline": 1, "no memory": 1 });
    expect(formatReasons(r.outcomes[0]!.reasons)).toBe("1 agent: agent offline, 1: no memory, 1: pool");
  });

  test("max_per_host, labels and blacklist", () => {
    const agents = [agent("a", { labels: ["ssd"] }), agent("b", { labels: ["ssd"] }), agent("c")];
    const r = place(agents, [group("web", 3, { maxPerHost: 1, labels: ["ssd"], blacklist: ["b"] })], { seed: 3 });
    expect(r.placements.map((p) => p.agent)).toEqual(["a"]);
    expect(r.outcomes[0]!.reasons).toEqual({ labels: 1, blacklist: 1, max_per_host: 1 });
  });

  test("dynamic ports are distinct and in range; a fixed port is taken once per agent", () => {
    const r = place([agent("a", { usedPorts: new Set([20000]) })], [
      group("web", 3, { ports: [{ name: "http", port: 0 }, { name: "admin", port: 0 }], resources: { millicores: 1, memory: 1, disk: 0, ssd: 0 } }),
      group("fix", 2, { ports: [{ name: "http", port: 8080 }], resources: { millicores: 1, memory: 1, disk: 0, ssd: 0 } }),
    ], { seed: 1 });
    const ports = r.placements.filter((p) => p.groupId === "web").flatMap((p) => p.ports.map((x) => x.port));
    expect(new Set(ports).size).toBe(6);
    expect(ports.every((p) => p > 20000 && p <= 20099)).toBe(true);
    expect(r.placements.filter((p) => p.groupId === "fix")).toHaveLength(1);
  });

  test("more important groups are placed first", () => {
    const small = agent("a", { total: { millicores: 1000, memory: 8 * G, disk: 0, ssd: 0 } });
    const r = place([small], [group("b", 1, { jobType: "batch" }), group("s", 1, { jobType: "service" })], { seed: 1 });
    expect(r.placements.map((p) => p.groupId)).toEqual(["s"]);
  });

  // Properties: never over-commit, never exceed max_per_host, never place outside pool/state; deterministic per seed.
  const arbAgent = fc.record({
    cpu: fc.integer({ min: 0, max: 8000 }), mem: fc.integer({ min: 0, max: 16 }),
    pool: fc.constantFrom("default", "other"), state: fc.constantFrom("alive", "alive", "offline", "dead") as fc.Arbitrary<SchedAgent["state"]>,
  });
  const arbGroup = fc.record({
    n: fc.integer({ min: 0, max: 20 }), cpu: fc.integer({ min: 1, max: 3000 }), mem: fc.integer({ min: 0, max: 4 }),
    mph: fc.integer({ min: 0, max: 3 }), spread: fc.boolean(), pool: fc.constantFrom("default", "other"),
  });
  test("properties: no over-commit, max_per_host, pool and state respected, deterministic", () => {
    fc.assert(
      fc.property(fc.array(arbAgent, { maxLength: 12 }), fc.array(arbGroup, { maxLength: 5 }), fc.integer(), (as, gs, seed) => {
        const agents = as.map((a, i) => agent(`a${i}`, { pool: a.pool, state: a.state, total: { millicores: a.cpu, memory: a.mem * G, disk: 0, ssd: 0 } }));
        const groups = gs.map((g, i) => group(`g${i}`, g.n, { spread: g.spread, maxPerHost: g.mph, pools: [g.pool], resources: { millicores: g.cpu, memory: g.mem * G, disk: 0, ssd: 0 } }));
        const r = place(agents, groups, { seed });
        expect(place(agents, groups, { seed })).toEqual(r);
        for (const a of agents) {
          const mine = r.placements.filter((p) => p.agent === a.endpoint);
          const gs2 = mine.map((p) => groups.find((g) => g.id === p.groupId)!);
          expect(gs2.reduce((s, g) => s + g.resources.millicores, 0)).toBeLessThanOrEqual(a.total.millicores);
          expect(gs2.reduce((s, g) => s + g.resources.memory, 0)).toBeLessThanOrEqual(a.total.memory);
          if (mine.length > 0) expect(a.state).toBe("alive");
          for (const g of gs2) {
            expect(g.pools).toContain(a.pool);
            if (g.maxPerHost > 0) expect(gs2.filter((x) => x.id === g.id).length).toBeLessThanOrEqual(g.maxPerHost);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
