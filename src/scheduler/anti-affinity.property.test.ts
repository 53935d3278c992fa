// A property of anti-affinity over random clusters (fast-check): groups of a few jobs with random rules arrive one
// pass after another (ResMan's shape), in any order; afterwards, on every agent, every rule of every job present holds
// (where A runs, at most K of B), whatever arrived first.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { AntiAffinityIndex, type RuleOwner } from "./anti-affinity.ts";
import { place } from "./place.ts";
import { agent, G, group, res } from "./test-fixtures.ts";
import type { SchedAgent } from "./types.ts";

const JOBS = ["a", "b", "c"];
const arbGroup = fc.record({
  job: fc.constantFrom(...JOBS), n: fc.integer({ min: 1, max: 6 }), score: fc.constantFrom("binpack", "load", "spread"),
  rules: fc.array(fc.record({ job: fc.constantFrom(...JOBS), k: fc.integer({ min: 0, max: 2 }) }), { maxLength: 2 }),
});

describe("anti-affinity property", () => {
  test("after any arrival order, where A runs at most K of B, for every rule", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(arbGroup, { minLength: 1, maxLength: 6 }), fc.integer(), (nAgents, defs, seed) => {
        const owners: RuleOwner[] = defs.map((d, i) => ({ id: `g${i}`, user: "", name: d.job, antiAffinity: d.rules.map((r) => ({ job: r.job, maxPerHost: r.k })) }));
        const index = new AntiAffinityIndex();
        for (const o of owners) index.set(o);
        // counts per agent per group, fed back after every pass
        const counts = Array.from({ length: nAgents }, () => new Map<string, number>());
        defs.forEach((d, i) => {
          const agents: SchedAgent[] = counts.map((c, j) => agent(`a${j}`, { total: res(64_000, 64 * G), groupCount: new Map(c) }));
          const g = group(`g${i}`, d.n, { score: d.score as "binpack", spread: d.score === "spread", resources: res(100, G / 16), antiAffinity: index.rulesFor(owners[i]!) });
          const r = place(agents, [g], { seed: seed + i });
          for (const p of r.placements) {
            const c = counts[Number(p.agent.slice(1))]!;
            c.set(p.groupId, (c.get(p.groupId) ?? 0) + 1);
          }
        });
        for (const c of counts) {
          const ofJob = (job: string) => owners.filter((o) => o.name === job).reduce((s, o) => s + (c.get(o.id) ?? 0), 0);
          for (const o of owners) {
            if ((c.get(o.id) ?? 0) === 0) continue;
            for (const rule of o.antiAffinity ?? []) expect(ofJob(rule.job)).toBeLessThanOrEqual(rule.maxPerHost);
          }
        }
      }),
      { seed: 18, numRuns: 300 },
    );
  });
});
