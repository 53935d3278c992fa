// Properties of place() over random clusters (fast-check): never over-commit an agent on any resource or device, never
// exceed max_per_host, never place on an agent that is not alive or outside the group's pools and labels, never
// preempt an equal or more important container, and the same input and seed give the same result.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { IMPORTANCE, type JobType, type Resources } from "../core/domain.ts";
import { place } from "./place.ts";
import { agentWith, container, G, group, res } from "./test-fixtures.ts";
import type { SchedAgent, SchedContainer, SchedGroup, ScheduleResult } from "./types.ts";

const TYPES: JobType[] = ["monitor", "service", "batch", "best-effort"];
const arbType = fc.constantFrom(...TYPES);
const arbRunning = fc.record({ type: arbType, cpu: fc.integer({ min: 0, max: 3000 }), mem: fc.integer({ min: 0, max: 4 }), port: fc.option(fc.integer({ min: 8000, max: 8003 })) });
const arbAgent = fc.record({
  cpu: fc.integer({ min: 0, max: 8000 }), mem: fc.integer({ min: 0, max: 16 }), disk: fc.integer({ min: 0, max: 4 }),
  pool: fc.constantFrom("default", "other"), labels: fc.subarray(["ssd", "gpu"]),
  state: fc.constantFrom("alive", "alive", "alive", "offline", "draining", "dead") as fc.Arbitrary<SchedAgent["state"]>,
  maxBatch: fc.integer({ min: 0, max: 3 }), running: fc.array(arbRunning, { maxLength: 4 }), devices: fc.integer({ min: 0, max: 2 }),
});
const arbGroup = fc.record({
  n: fc.integer({ min: 0, max: 12 }), type: arbType, cpu: fc.integer({ min: 0, max: 3000 }), mem: fc.integer({ min: 0, max: 4 }),
  mph: fc.integer({ min: 0, max: 3 }), spread: fc.boolean(), score: fc.constantFrom("binpack", "load", undefined), pools: fc.subarray(["default", "other"], { minLength: 1 }),
  labels: fc.subarray(["ssd", "gpu"]), port: fc.option(fc.constantFrom(0, 8000, 8001)), exclusive: fc.boolean(),
  shared: fc.option(fc.integer({ min: 1, max: 60 })),
});

type ArbAgent = typeof arbAgent extends fc.Arbitrary<infer T> ? T : never;
type ArbGroup = typeof arbGroup extends fc.Arbitrary<infer T> ? T : never;

/** Running containers are added only while they fit, so the input itself is never over-committed. */
function buildAgent(x: ArbAgent, i: number): SchedAgent {
  const total = res(x.cpu, x.mem * G, x.disk * 100 * G);
  const used = res(0, 0);
  const ports = new Set<number>();
  const cs: SchedContainer[] = [];
  x.running.forEach((r, j) => {
    if (used.millicores + r.cpu > total.millicores || used.memory + r.mem * G > total.memory) return;
    if (r.port !== null && ports.has(r.port)) return;
    const batch = r.type === "batch" || r.type === "best-effort";
    if (batch && x.maxBatch > 0 && cs.filter((c) => c.jobType === "batch" || c.jobType === "best-effort").length >= x.maxBatch) return;
    used.millicores += r.cpu;
    used.memory += r.mem * G;
    if (r.port !== null) ports.add(r.port);
    cs.push(container(`r${i}x${j}.0`, r.type, res(r.cpu, r.mem * G), { ports: r.port === null ? [] : [r.port] }));
  });
  const devices = Array.from({ length: x.devices }, (_, k) => ({ medium: "disk", path: `/d${k}`, size: 100 * G })).slice(0, x.disk);
  return agentWith(`a${i}`, cs, { total, pool: x.pool, labels: x.labels, state: x.state, maxBatch: x.maxBatch, devices, portMin: 20000, portMax: 20003 });
}

function buildGroup(x: ArbGroup, i: number): SchedGroup {
  const vol = (path: string, size: number, exclusive: boolean) => ({ path, size, medium: "disk", exclusive, readonly: false, persistent: false, sticky: false, retentionMs: 0 });
  const volumes = [...(x.exclusive ? [vol("/v", 50 * G, true)] : []), ...(x.shared !== null ? [vol("/s", x.shared * G, false)] : [])];
  return group(`g${i}`, x.n, {
    jobType: x.type, spread: x.spread, ...(x.score ? { score: x.score as "binpack" | "load" } : {}), maxPerHost: x.mph, pools: x.pools, labels: x.labels, volumes,
    resources: res(x.cpu, x.mem * G, (x.exclusive ? 50 * G : 0) + (x.shared ?? 0) * G), ports: x.port === null ? [] : [{ name: "p", port: x.port }],
  });
}

/** Every agent's containers after the pass: base minus evicted plus placed. */
function after(agents: SchedAgent[], groups: SchedGroup[], r: ScheduleResult) {
  const evicted = new Set(r.evictions.map((e) => e.containerId));
  const typeOf = new Map(groups.map((g) => [g.id, g.jobType]));
  return agents.map((a) => {
    const cs: { group: string; type: JobType; charged: Resources; ports: number[]; devices: string[]; shares: { path: string; size: number }[] }[] = a.containers
      .filter((c) => !evicted.has(c.id))
      .map((c) => ({ group: c.groupId, type: c.jobType, charged: c.charged, ports: [...c.ports], devices: [...c.devices], shares: [...(c.shares ?? [])] }));
    for (const p of r.placements.filter((p) => p.agent === a.endpoint)) {
      cs.push({
        group: p.groupId, type: typeOf.get(p.groupId)!, charged: p.charged, ports: p.ports.map((x) => x.port),
        devices: p.bindings.filter((b) => !b.shared).map((b) => b.hostPath), shares: p.bindings.filter((b) => b.shared).map((b) => ({ path: b.hostPath, size: b.size })),
      });
    }
    return { a, cs };
  });
}

describe("place: properties", () => {
  test("no over-commit, max_per_host, state/pool/labels, preemption order, determinism", () => {
    let preempted = 0;
    fc.assert(
      fc.property(fc.array(arbAgent, { maxLength: 8 }), fc.array(arbGroup, { maxLength: 5 }), fc.integer(), (as, gs, seed) => {
        const agents = as.map(buildAgent);
        const groups = gs.map(buildGroup);
        const r = place(agents, groups, { seed });
        if (r.evictions.length > 0) preempted++;
        expect(place(agents, groups, { seed })).toEqual(r);
        const byId = new Map(groups.map((g) => [g.id, g]));
        for (const p of r.placements) {
          const g = byId.get(p.groupId)!;
          const a = agents.find((x) => x.endpoint === p.agent)!;
          expect(a.state).toBe("alive");
          expect(g.pools).toContain(a.pool);
          for (const l of g.labels) expect(a.labels).toContain(l);
          for (const v of p.victims) {
            const victim = a.containers.find((c) => c.id === v)!;
            expect(IMPORTANCE[victim.jobType]).toBeLessThan(IMPORTANCE[g.jobType]);
          }
        }
        for (const { a, cs } of after(agents, groups, r)) {
          for (const k of ["millicores", "memory", "disk", "ssd"] as const) {
            expect(cs.reduce((s, c) => s + c.charged[k], 0)).toBeLessThanOrEqual(a.total[k]);
          }
          const ports = cs.flatMap((c) => c.ports);
          expect(new Set(ports).size).toBe(ports.length);
          const devices = cs.flatMap((c) => c.devices);
          expect(new Set(devices).size).toBe(devices.length);
          // per device: shared volumes within its size, and none on a device an exclusive volume holds
          for (const d of a.devices) {
            const shared = cs.flatMap((c) => c.shares).filter((x) => x.path === d.path);
            expect(shared.reduce((n, x) => n + x.size, 0)).toBeLessThanOrEqual(d.size);
            if (devices.includes(d.path)) expect(shared).toEqual([]);
          }
          if (a.maxBatch > 0) expect(cs.filter((c) => c.type === "batch" || c.type === "best-effort").length).toBeLessThanOrEqual(a.maxBatch);
          for (const g of groups) if (g.maxPerHost > 0) expect(cs.filter((c) => c.group === g.id).length).toBeLessThanOrEqual(g.maxPerHost);
        }
      }),
      { numRuns: 300 },
    );
    expect(preempted).toBeGreaterThan(10); // the generator does exercise preemption
  });
});
