// The schedule benchmark at small sizes: every driver runs, and its numbers are sane (nothing over-committed,
// max_per_host held, placed <= capacity, nothing left unplaced that would still fit). No timing assertions.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DRIVERS, measure } from "./schedule.ts";
import { c1mWorkload, contestTable, repoRoot, runScheduleSuite, scheduleTable, scheduleTargets, tianchiWorkload } from "./schedule-suite.ts";
import { TIANCHI_DIR, resolveTracesDir } from "./tianchi.ts";
import { parseShape } from "./workload.ts";

const small = (agents: number, groups: number, replicas: number) =>
  c1mWorkload({ agents, agentShapes: [parseShape("4/16G"), parseShape("8/32G")], groups, replicas, container: parseShape("500m/2G") });

describe("bench schedule", () => {
  test.each(DRIVERS)("%s places a workload that fits, every container once, nothing over-committed", (driver) => {
    const w = small(40, 6, 20); // capacity: 20 x 8 + 20 x 16 = 480 containers; 120 wanted
    const f = measure(driver, w, 2);
    expect(f.violations).toEqual([]);
    expect(f.placed).toBe(120);
    expect(f.placedFraction).toBe(1);
    expect(f.stillFitting).toBe(0);
    expect(f.agentsUsed).toBeGreaterThan(0);
    expect(f.agentsUsed).toBeLessThanOrEqual(40);
    expect(f.cpuPacking).toBeGreaterThan(0);
    expect(f.cpuPacking).toBeLessThanOrEqual(1);
    expect(f.memoryPacking).toBeLessThanOrEqual(1);
    expect(f.placementsPerSec).toBeGreaterThan(0);
    if (driver === "place" || driver === "resman") expect(f.groupP99Ms).toBeGreaterThanOrEqual(f.groupP50Ms);
  });

  test.each(["place", "resman"] as const)("%s: an over-full workload places exactly the capacity", (driver) => {
    const w = small(10, 10, 30); // capacity 5 x 8 + 5 x 16 = 120 of 300
    const f = measure(driver, w, 1);
    expect(f.violations).toEqual([]);
    expect(f.placed).toBe(120);
    expect(f.stillFitting).toBe(0);
    expect(f.agentsUsed).toBe(10);
    expect(f.cpuPacking).toBe(1);
  });

  test("the table and targets render", () => {
    const f = measure("place", small(10, 2, 5), 1);
    expect(scheduleTable([f])).toContain("PLACEMENTS/S");
    const [t] = scheduleTargets([f]);
    expect(t!.name).toBe("c1m place: placements/s");
  });
});

const traces = (() => {
  try {
    return resolveTracesDir(undefined, repoRoot());
  } catch {
    return null;
  }
})();

describe.skipIf(traces === null || !existsSync(join(traces ?? "", TIANCHI_DIR)))("bench schedule on the Tianchi trace", () => {
  test("a slice of the apps: placed <= wanted, max_per_host held, nothing left that fits", () => {
    const w = tianchiWorkload(traces!, 300);
    expect(w.fleet.length).toBe(6000);
    expect(w.groups.length).toBeGreaterThan(0);
    expect(w.groups.some((g) => g.maxPerHost > 0)).toBe(true);
    const f = measure("place", { ...w, fleet: w.fleet.slice(0, 50) }, 1);
    expect(f.violations).toEqual([]);
    expect(f.placed).toBeLessThanOrEqual(f.containers);
    expect(f.stillFitting).toBe(0);
    // judged by the contest's rules: peaks are requests, so no machine is over its cpu or memory at any point
    expect(f.contest).toBeDefined();
    expect(f.contest!.unplaced).toBe(f.containers - f.placed);
    expect(f.contest!.violations.cpu).toBe(0);
    expect(f.contest!.violations.memory).toBe(0);
    expect(f.contest!.machinesUsed).toBe(f.agentsUsed);
    expect(contestTable([f])).toContain("CONTEST SCORE");
  });

  test("with usage profiles: checked at all 98 points, no machine over its cpu or memory at any of them", () => {
    const w = tianchiWorkload(traces!, 300, true);
    expect(w.groups.every((g) => g.profile?.cpu.length === 98)).toBe(true);
    const f = measure("place", { ...w, fleet: w.fleet.slice(0, 40) }, 1);
    expect(f.violations).toEqual([]);
    expect(f.contest!.violations.cpu).toBe(0);
    expect(f.contest!.violations.memory).toBe(0);
    expect(f.contest!.unplaced).toBe(f.containers - f.placed);
  });

  test("--export writes instance_id,machine_id for every placed instance", () => {
    const file = join(mkdtempSync(join(tmpdir(), "galaxy-export-")), "placement.csv");
    const { figures, notes } = runScheduleSuite({
      workloads: ["tianchi"], drivers: ["place"], runs: 1, seed: 1, agents: 0, agentShapes: [], groups: 0, replicas: 0,
      container: parseShape("1/1G"), tianchiApps: 200, exportFile: file, log: () => {},
    });
    const rows = readFileSync(file, "utf8").trim().split("\n");
    expect(rows.length).toBe(figures[0]!.placed);
    for (const r of rows) expect(r).toMatch(/^inst_\d+,machine_\d+$/);
    expect(notes.some((n) => n.includes(file))).toBe(true);
  });

  test("--rebalance: the rebalanced placement is judged valid by the contest's rules and scores no worse than the online one", () => {
    const { figures } = runScheduleSuite({
      workloads: ["tianchi"], drivers: ["place"], runs: 1, seed: 1, agents: 0, agentShapes: [], groups: 0, replicas: 0,
      container: parseShape("1/1G"), tianchiApps: 400, profiles: true, rebalanceSeconds: 1, log: () => {},
    });
    const f = figures[0]!;
    expect(f.rebalance).toBeDefined();
    expect(f.rebalance!.moves).toBeGreaterThan(0);
    expect(f.contest!.totalViolations).toBe(0);
    expect(f.contest!.unplaced).toBe(f.rebalance!.before.unplaced);
    expect(f.contest!.score).toBeLessThan(f.rebalance!.before.score);
    const t = scheduleTargets(figures).find((x) => x.name.includes("placement quality"))!;
    expect(t.name).toContain("rebalancing");
    expect(contestTable(figures)).toContain("ONLINE SCORE");
  });
});
