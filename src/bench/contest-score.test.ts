// The contest judge on tiny hand-made problems: every rule of the score and every kind of violation.
import { describe, expect, test } from "bun:test";
import { exportPlacement, pointCost, scorePlacement, type ContestApp, type ContestMachine, type ContestProblem, type ContestRule } from "./contest-score.ts";

const machine = (id: string, cpu = 10, memory = 10, extra: Partial<ContestMachine> = {}): ContestMachine =>
  ({ id, cpu, memory, disk: 100, p: 2, m: 2, pm: 2, ...extra });
const app = (id: string, cpu: number[], memory: number[] = cpu.map(() => 1), extra: Partial<ContestApp> = {}): ContestApp =>
  ({ id, cpu, memory, disk: 10, p: 0, m: 0, pm: 0, ...extra });

function problem(machines: ContestMachine[], apps: ContestApp[], instances: [string, string][], rules: ContestRule[] = []): ContestProblem {
  return { machines, apps: new Map(apps.map((a) => [a.id, a])), instances: instances.map(([id, a]) => ({ id, app: a })), rules };
}
const at = (pairs: [string, string][]) => new Map(pairs);

describe("contest score", () => {
  test("cost of one point: 1 up to half load, then 1 + 10 (e^(u - 0.5) - 1)", () => {
    expect(pointCost(0)).toBe(1);
    expect(pointCost(0.5)).toBe(1);
    expect(pointCost(1)).toBeCloseTo(1 + 10 * (Math.exp(0.5) - 1), 12);
    expect(pointCost(0.7)).toBeCloseTo(1 + 10 * (Math.exp(0.2) - 1), 12);
  });

  test("the mean over the points of the sum over the machines that host anything", () => {
    // m1 (10 cores): 2 then 8 cores -> points cost 1 and 1 + 10(e^0.3 - 1); m2 hosts nothing and costs nothing
    const p = problem([machine("m1"), machine("m2")], [app("a", [2, 8])], [["i1", "a"]]);
    const s = scorePlacement(p, at([["i1", "m1"]]));
    expect(s.score).toBeCloseTo((1 + 1 + 10 * (Math.exp(0.3) - 1)) / 2, 12);
    expect(s.machinesUsed).toBe(1);
    expect(s.totalViolations).toBe(0);
    expect(s.unplaced).toBe(0);
  });

  test("utilisation is relative to the machine's cores, summed over its instances", () => {
    const p = problem([machine("small", 10), machine("big", 40)], [app("a", [4, 4])], [["i1", "a"], ["i2", "a"]]);
    // both on big: u = 0.2 -> 1 per point; both on small: u = 0.8 -> 1 + 10(e^0.3 - 1)
    expect(scorePlacement(p, at([["i1", "big"], ["i2", "big"]])).score).toBeCloseTo(1, 12);
    expect(scorePlacement(p, at([["i1", "small"], ["i2", "small"]])).score).toBeCloseTo(1 + 10 * (Math.exp(0.3) - 1), 12);
    // one on each: 1 + 1
    expect(scorePlacement(p, at([["i1", "small"], ["i2", "big"]])).score).toBeCloseTo(2, 12);
  });

  test("cpu and memory are checked at every point, not at the peaks", () => {
    // peaks 6 + 6 = 12 > 10, but at no point do the curves sum above 10
    const p = problem([machine("m1")], [app("a", [6, 4], [6, 4]), app("b", [4, 6], [4, 6])], [["i1", "a"], ["i2", "b"]]);
    expect(scorePlacement(p, at([["i1", "m1"], ["i2", "m1"]])).totalViolations).toBe(0);
    const q = problem([machine("m1")], [app("a", [6, 4]), app("b", [6, 4])], [["i1", "a"], ["i2", "b"]]);
    expect(scorePlacement(q, at([["i1", "m1"], ["i2", "m1"]])).violations.cpu).toBe(1);
    const r = problem([machine("m1")], [app("a", [1, 1], [1, 6]), app("b", [1, 1], [1, 6])], [["i1", "a"], ["i2", "b"]]);
    const s = scorePlacement(r, at([["i1", "m1"], ["i2", "m1"]]));
    expect(s.violations.memory).toBe(1);
    expect(s.violations.cpu).toBe(0);
  });

  test("exactly full is allowed; one more is not", () => {
    const p = problem([machine("m1")], [app("a", [5, 5], [5, 5])], [["i1", "a"], ["i2", "a"], ["i3", "a"]]);
    expect(scorePlacement(p, at([["i1", "m1"], ["i2", "m1"]])).totalViolations).toBe(0);
    const s = scorePlacement(p, at([["i1", "m1"], ["i2", "m1"], ["i3", "m1"]]));
    expect(s.violations.cpu).toBe(1);
    expect(s.violations.memory).toBe(1);
  });

  test.each(["disk", "p", "m", "pm"] as const)("%s: the sum over the machine's instances against its capacity", (dim) => {
    const a = app("a", [1, 1], [1, 1], { disk: 0, p: 0, m: 0, pm: 0, [dim]: dim === "disk" ? 60 : 1 });
    const p = problem([machine("m1")], [a], [["i1", "a"], ["i2", "a"], ["i3", "a"]]);
    expect(scorePlacement(p, at([["i1", "m1"]])).violations[dim]).toBe(0);
    const s = scorePlacement(p, at([["i1", "m1"], ["i2", "m1"], ["i3", "m1"]]));
    expect(s.violations[dim]).toBe(1);
    expect(s.totalViolations).toBe(1);
  });

  test("interference <A, B, k>: a machine hosting A holds at most k of B", () => {
    const apps = [app("a", [1, 1]), app("b", [1, 1])];
    const inst: [string, string][] = [["a1", "a"], ["b1", "b"], ["b2", "b"]];
    const p = problem([machine("m1"), machine("m2")], apps, inst, [{ a: "a", b: "b", k: 1 }]);
    expect(scorePlacement(p, at([["a1", "m1"], ["b1", "m1"], ["b2", "m2"]])).violations.interference).toBe(0);
    expect(scorePlacement(p, at([["a1", "m1"], ["b1", "m1"], ["b2", "m1"]])).violations.interference).toBe(1);
    // without A on the machine, B is free; and the rule is one way: B present does not limit A
    expect(scorePlacement(p, at([["a1", "m2"], ["b1", "m1"], ["b2", "m1"]])).violations.interference).toBe(0);
    const rev = problem([machine("m1")], [...apps, app("c", [1, 1])], [["a1", "a"], ["a2", "c"], ["b1", "b"]], [{ a: "b", b: "a", k: 0 }]);
    expect(scorePlacement(rev, at([["a1", "m1"], ["b1", "m1"]])).violations.interference).toBe(1);
    expect(scorePlacement(rev, at([["a2", "m1"], ["b1", "m1"]])).violations.interference).toBe(0);
  });

  test("k = 0 forbids B beside A; a self rule <A, A, k> allows k + 1", () => {
    const apps = [app("a", [1, 1]), app("b", [1, 1])];
    const cross = problem([machine("m1")], apps, [["a1", "a"], ["b1", "b"]], [{ a: "a", b: "b", k: 0 }]);
    expect(scorePlacement(cross, at([["a1", "m1"], ["b1", "m1"]])).violations.interference).toBe(1);
    const self = problem([machine("m1")], apps, [["a1", "a"], ["a2", "a"], ["a3", "a"]], [{ a: "a", b: "a", k: 1 }]);
    expect(scorePlacement(self, at([["a1", "m1"], ["a2", "m1"]])).violations.interference).toBe(0);
    expect(scorePlacement(self, at([["a1", "m1"], ["a2", "m1"], ["a3", "m1"]])).violations.interference).toBe(1);
  });

  test("every broken rule counts once per machine", () => {
    const apps = [app("a", [1, 1]), app("b", [1, 1])];
    const p = problem([machine("m1"), machine("m2")], apps, [["a1", "a"], ["b1", "b"], ["a2", "a"], ["b2", "b"]],
      [{ a: "a", b: "b", k: 0 }, { a: "b", b: "a", k: 0 }]);
    expect(scorePlacement(p, at([["a1", "m1"], ["b1", "m1"], ["a2", "m2"], ["b2", "m2"]])).violations.interference).toBe(4);
  });

  test("unplaced instances and unknown machines are counted, not scored", () => {
    const p = problem([machine("m1")], [app("a", [1, 1])], [["i1", "a"], ["i2", "a"], ["i3", "a"]]);
    const s = scorePlacement(p, at([["i1", "m1"], ["i2", "m9"]]));
    expect(s.unplaced).toBe(2);
    expect(s.machinesUsed).toBe(1);
    expect(s.score).toBeCloseTo(1, 12);
  });

  test("export: instance_id,machine_id per placed instance, in the problem's order", () => {
    const p = problem([machine("m1"), machine("m2")], [app("a", [1, 1])], [["i2", "a"], ["i1", "a"], ["i3", "a"]]);
    expect(exportPlacement(p, at([["i1", "m1"], ["i2", "m2"]]))).toBe("i2,m2\ni1,m1\n");
  });
});
