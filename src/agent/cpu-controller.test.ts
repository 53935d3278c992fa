// The cpu soft-limit controller driven by usage series: recorded shapes written here, and (when the shared traces are
// beside the project) real application cpu curves from Alibaba's 2018 cluster. A small host model turns each
// container's demand and ceiling into usage, idle and run-queue wait; the controller's decisions feed back.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { type CpuContainer, type CpuParams, computeCpuLimits, defaultCpuParams, squeezedBy } from "./cpu-controller.ts";

const STEP_MS = 2000;

interface Sim {
  id: string;
  quota: number;
  excess: boolean;
  demand: number[]; // millicores it would use, per step
}

interface Trace {
  limits: Record<string, number[]>;
  usage: Record<string, number[]>;
  idle: number[];
}

/** Shares the host's cores among the containers by their quota (water-filling), each capped by min(demand, ceiling). */
function allocate(cores: number, want: Map<string, number>, weight: Map<string, number>): Map<string, number> {
  const got = new Map([...want.keys()].map((k) => [k, 0]));
  let left = cores;
  let open = [...want.keys()].filter((k) => want.get(k)! > 0);
  while (left > 1e-6 && open.length > 0) {
    const w = open.reduce((s, k) => s + weight.get(k)!, 0);
    const share = new Map(open.map((k) => [k, (left * weight.get(k)!) / w]));
    const done = open.filter((k) => want.get(k)! - got.get(k)! <= share.get(k)!);
    if (done.length === 0) {
      for (const k of open) got.set(k, got.get(k)! + share.get(k)!);
      break;
    }
    for (const k of done) {
      left -= want.get(k)! - got.get(k)!;
      got.set(k, want.get(k)!);
    }
    open = open.filter((k) => !done.includes(k));
  }
  return got;
}

function simulate(cores: number, sims: Sim[], p: CpuParams, steps: number): Trace {
  const state = new Map(sims.map((s) => [s.id, { limit: s.quota, changedAt: -Infinity }]));
  const last = new Map(sims.map((s) => [s.id, { usage: 0, wait: 0 }]));
  const trace: Trace = { limits: {}, usage: {}, idle: [] };
  for (const s of sims) [trace.limits[s.id], trace.usage[s.id]] = [[], []];
  for (let t = 0; t < steps; t++) {
    const now = t * STEP_MS;
    const want = new Map(sims.map((s) => [s.id, Math.min(s.demand[t % s.demand.length]!, state.get(s.id)!.limit)]));
    const got = allocate(cores, want, new Map(sims.map((s) => [s.id, s.quota])));
    for (const s of sims) last.set(s.id, { usage: got.get(s.id)!, wait: want.get(s.id)! - got.get(s.id)! });
    const idle = cores - [...got.values()].reduce((a, b) => a + b, 0);
    trace.idle.push(idle);
    const view: CpuContainer[] = sims.map((s) => ({ id: s.id, quota: s.quota, excess: s.excess, ...state.get(s.id)!, ...last.get(s.id)! }));
    for (const d of computeCpuLimits(now, { cores, idle }, view, p)) state.set(d.id, { limit: d.limit, changedAt: now });
    for (const s of sims) {
      trace.limits[s.id]!.push(state.get(s.id)!.limit);
      trace.usage[s.id]!.push(last.get(s.id)!.usage);
    }
  }
  return trace;
}

/** The controller's promises, whatever the series: bounds, step sizes. */
function expectInvariants(t: Trace, sims: Sim[], cores: number, p: CpuParams): void {
  for (const s of sims) {
    const l = t.limits[s.id]!;
    for (let i = 0; i < l.length; i++) {
      expect(l[i]!).toBeGreaterThanOrEqual(s.quota);
      expect(l[i]!).toBeLessThanOrEqual(Math.max(cores, s.quota));
      const prev = i === 0 ? s.quota : l[i - 1]!;
      expect(l[i]! - prev).toBeLessThanOrEqual(p.stepUp);
      expect(prev - l[i]!).toBeLessThanOrEqual(p.stepDown);
      if (!s.excess) expect(l[i]).toBe(s.quota);
    }
  }
}

const repeat = (v: number, n: number) => Array.from({ length: n }, () => v);

describe("cpu soft-limit controller: one decision", () => {
  const p = defaultCpuParams(4000);
  const c = (over: Partial<CpuContainer>): CpuContainer => ({ id: "a", quota: 1000, excess: true, limit: 1000, usage: 1000, wait: 0, changedAt: 0, ...over });

  test("idle above the high mark: a hungry borrower gets at most one core; a sated one nothing", () => {
    expect(computeCpuLimits(10_000, { cores: 4000, idle: 3000 }, [c({})], p)).toEqual([{ id: "a", limit: 2000, reason: "borrow" }]);
    expect(computeCpuLimits(10_000, { cores: 4000, idle: 1200 }, [c({})], p)).toEqual([{ id: "a", limit: 1200, reason: "borrow" }]);
    expect(computeCpuLimits(10_000, { cores: 4000, idle: 3000 }, [c({ usage: 300 })], p)).toEqual([]);
    expect(computeCpuLimits(1000, { cores: 4000, idle: 3000 }, [c({ changedAt: 0 })], p)).toEqual([]); // holding
  });

  test("idle below the low mark: borrowers give back, the biggest first, at most half a core each, never below quota", () => {
    const out = computeCpuLimits(0, { cores: 4000, idle: 0 }, [c({ id: "a", limit: 1600 }), c({ id: "b", limit: 3000 }), c({ id: "n", excess: false })], p);
    expect(out).toEqual([{ id: "b", limit: 2600, reason: "give back" }]); // the low mark is 400: give back what covers it
    const more = computeCpuLimits(0, { cores: 4000, idle: 0 }, [c({ id: "a", limit: 1100 }), c({ id: "b", limit: 1200 })], p);
    expect(more).toEqual([{ id: "b", limit: 1000, reason: "give back" }, { id: "a", limit: 1000, reason: "give back" }]);
  });

  test("between the marks: hold; but a container squeezed below its quota makes borrowers give back", () => {
    const borrower = c({ id: "b", limit: 3000, usage: 2900 });
    expect(computeCpuLimits(0, { cores: 4000, idle: 700 }, [borrower, c({ id: "s", excess: false, usage: 300 })], p)).toEqual([]);
    const squeezed = c({ id: "s", excess: false, usage: 300, wait: 600 });
    expect(squeezedBy(squeezed)).toBe(600);
    expect(computeCpuLimits(0, { cores: 4000, idle: 700 }, [borrower, squeezed], p)).toEqual([{ id: "b", limit: 2500, reason: "give back" }]);
  });

  test("nothing to do without borrowers", () => {
    expect(computeCpuLimits(0, { cores: 4000, idle: 0 }, [c({ excess: false })], p)).toEqual([]);
  });
});

describe("cpu soft-limit controller on recorded usage series", () => {
  const cores = 4000;
  const p = defaultCpuParams(cores);

  test("a batch job borrows the idle cores, gives them back within 3 steps when a service bursts, then borrows again", () => {
    // A service guaranteed 2 cores idles at 0.3, bursts to its full quota for 20 steps, then idles again.
    const service: Sim = { id: "svc", quota: 2000, excess: false, demand: [...repeat(300, 20), ...repeat(2000, 20), ...repeat(300, 20)] };
    const batch: Sim = { id: "batch", quota: 1000, excess: true, demand: repeat(4000, 60) };
    const t = simulate(cores, [service, batch], p, 60);
    expectInvariants(t, [service, batch], cores, p);
    expect(t.limits.batch![19]!).toBeGreaterThanOrEqual(2700); // borrowed most of the idle host
    for (let i = 23; i < 40; i++) expect(t.usage.svc![i]!).toBeGreaterThanOrEqual(1900); // the service got its quota back
    expect(t.limits.batch![59]!).toBeGreaterThanOrEqual(2700);
    const changes = t.limits.batch!.filter((v, i, a) => i > 0 && v !== a[i - 1]).length;
    expect(changes).toBeLessThan(20); // settles instead of oscillating
  });

  test("two borrowers share the spare and both fall back to their quota when the host is saturated by guarantees", () => {
    const a: Sim = { id: "a", quota: 500, excess: true, demand: repeat(3000, 40) };
    const b: Sim = { id: "b", quota: 500, excess: true, demand: repeat(3000, 40) };
    const svc: Sim = { id: "svc", quota: 3000, excess: false, demand: [...repeat(0, 15), ...repeat(3000, 25)] };
    const t = simulate(cores, [a, b, svc], p, 40);
    expectInvariants(t, [a, b, svc], cores, p);
    expect(t.limits.a![14]! + t.limits.b![14]!).toBeGreaterThan(2500);
    expect([t.limits.a![39], t.limits.b![39]]).toEqual([500, 500]);
    expect(t.usage.svc![39]!).toBeGreaterThanOrEqual(2900);
  });

  const traces = join(import.meta.dir, "..", "..", "..", "shared", "traces", "alibaba-tianchi-2018", "scheduling_preliminary_b_app_resources_20180726.csv.gz");
  test.skipIf(!existsSync(traces))("real application cpu curves (Alibaba 2018): bounds hold and guarantees come back within 3 steps", () => {
    const curves = new Map(
      gunzipSync(readFileSync(traces))
        .toString("utf8").split("\n").filter(Boolean)
        .map((l) => l.split(","))
        .map((f) => [f[0]!, f[1]!.split("|").map((x) => Math.round(Number(x) * 1000))] as const),
    );
    const host = 16_000;
    const hp = defaultCpuParams(host);
    // Guaranteed services follow real curves (quota = their peak); a batch job borrows whatever is left.
    const services: Sim[] = ["app_20", "app_22", "app_40"].map((id) => ({ id, quota: Math.max(...curves.get(id)!), excess: false, demand: curves.get(id)! }));
    const batch: Sim = { id: "batch", quota: 500, excess: true, demand: repeat(host, 98) };
    const t = simulate(host, [...services, batch], hp, 98);
    expectInvariants(t, [...services, batch], host, hp);
    for (const s of services) {
      for (let i = 3; i < 98; i++) {
        const wanted = Math.min(...s.demand.slice(i - 3, i + 1));
        expect(t.usage[s.id]![i]!).toBeGreaterThanOrEqual(Math.min(wanted, s.quota) * 0.95);
      }
    }
    expect(Math.max(...t.limits.batch!)).toBeGreaterThan(4000);
  });
});
