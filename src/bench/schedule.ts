// `galaxy bench schedule`: the scheduler alone, in process, driven four ways over one workload.
//
//   workload (fleet + groups) ──► driver ──► placements fed back into the fleet ──► figures + invariant checks
//     place         place(agents, [group]) group by group, feeding assigned resources back (ResMan's shape)
//     batch         one place(agents, allGroups) call
//     resman        ResManCore: createGroup + tick per group (production code path, schedAgents views included)
//     resman-batch  ResManCore: every createGroup, then one tick
import { DEFAULT_CONFIG } from "../resman/state.ts";
import { ResManCore } from "../resman/core.ts";
import { place, type Placement, type SchedAgent } from "../scheduler/index.ts";
import { agentInfoOf, groupSpecOf, heartbeatOf } from "./protocol.ts";
import { scorePlacement, type ContestScore } from "./contest-score.ts";
import { median, round, summarize } from "./stats.ts";
import { contestPlacement, type ContestContext } from "./tianchi.ts";
import {
  applyPlacements, cloneFleet, fleetMetrics, ruleIndexOf, schedGroupOf, stillFitting, violations, type FleetAgent, type GroupDef,
} from "./workload.ts";

export const DRIVERS = ["place", "batch", "resman", "resman-batch"] as const;
export type Driver = (typeof DRIVERS)[number];

export interface ScheduleWorkload {
  name: string;
  fleet: FleetAgent[];
  /** In arrival order. */
  groups: GroupDef[];
  notes: string[];
  /** Tianchi: judge each run by the contest's rules. */
  contest?: ContestContext;
  /** The load score's target for every agent (ResMan's loadTarget; the fleet's agents carry it too). */
  loadTarget?: number;
}

interface RunOutcome {
  seconds: number;
  placed: number;
  groupLatenciesMs: number[];
  fleet: readonly SchedAgent[];
  placedOf: Map<string, number>;
  /** Per group, the endpoints of its placed containers (collected after the clock stops). */
  where: Map<string, string[]>;
}

export interface ScheduleFigure {
  workload: string;
  driver: Driver;
  agents: number;
  groups: number;
  containers: number;
  runs: number;
  placed: number;
  placedFraction: number;
  /** Median over runs. */
  seconds: number;
  placementsPerSec: number;
  groupP50Ms: number;
  groupP99Ms: number;
  agentsUsed: number;
  cpuPacking: number;
  memoryPacking: number;
  /** Unplaced containers that would still fit somewhere at the end (0: every instance that fits was placed). */
  stillFitting: number;
  violations: string[];
  /** The contest's score and violations of the last run (Tianchi only). */
  contest?: ContestScore;
  /** The rebalancer's pass after the last run (`--rebalance`): contest is then the result, before the online pass's. */
  rebalance?: { seconds: number; moves: number; before: ContestScore };
}

/** The last run's placement in the contest's ids (Tianchi only), for `--export`. */
export interface MeasuredRun {
  figure: ScheduleFigure;
  placement?: Map<string, string>;
}

const NOW = 1_700_000_000_000;

export function runDriver(driver: Driver, w: ScheduleWorkload, seed: number): RunOutcome {
  switch (driver) {
    case "place": return runPlace(w, seed, false);
    case "batch": return runPlace(w, seed, true);
    case "resman": return runResMan(w, seed, false);
    case "resman-batch": return runResMan(w, seed, true);
  }
}

function runPlace(w: ScheduleWorkload, seed: number, batch: boolean): RunOutcome {
  const agents = cloneFleet(w.fleet);
  const byEndpoint = new Map(agents.map((a) => [a.endpoint, a]));
  const defs = new Map(w.groups.map((g) => [g.id, g]));
  const rules = ruleIndexOf(w.groups);
  const sgs = w.groups.map((g) => schedGroupOf(g, rules));
  const placedOf = new Map<string, number>();
  const lat: number[] = [];
  const results: Placement[][] = [];
  const t0 = performance.now();
  const passes = batch ? [sgs] : sgs.map((g) => [g]);
  for (let i = 0; i < passes.length; i++) {
    const s = performance.now();
    const r = place(agents, passes[i]!, { seed: seed + i });
    applyPlacements(byEndpoint, defs, r.placements);
    if (w.contest) results.push(r.placements);
    lat.push(performance.now() - s);
    for (const o of r.outcomes) placedOf.set(o.groupId, o.placed);
  }
  const seconds = (performance.now() - t0) / 1000;
  const where = new Map<string, string[]>();
  for (const ps of results) for (const p of ps) push(where, p.groupId, p.agent);
  return { seconds, placed: sum(placedOf.values()), groupLatenciesMs: batch ? [] : lat, fleet: agents, placedOf, where };
}

function runResMan(w: ScheduleWorkload, seed: number, batch: boolean): RunOutcome {
  const cfg = { ...DEFAULT_CONFIG, recoveryMs: 0, ...(w.loadTarget !== undefined ? { loadTarget: w.loadTarget } : {}) };
  const core = new ResManCore(cfg, 1, { agents: [], groups: [], pools: ["default"] }, NOW);
  for (const a of w.fleet) core.heartbeat(heartbeatOf(agentInfoOf(a.endpoint, a.total), 0, 0, 0, []), NOW);
  core.tick(NOW); // every agent reported: recovery ends
  void seed; // ResManCore seeds its own passes
  const lat: number[] = [];
  const t0 = performance.now();
  for (const g of w.groups) {
    const s = performance.now();
    core.createGroup(groupSpecOf(g), NOW);
    if (!batch) core.tick(NOW);
    lat.push(performance.now() - s);
  }
  if (batch) core.tick(NOW);
  const seconds = (performance.now() - t0) / 1000;
  const placedOf = new Map<string, number>();
  const where = new Map<string, string[]>();
  for (const c of core.placement.containers.values()) {
    if (!c.agent) continue;
    placedOf.set(c.group, (placedOf.get(c.group) ?? 0) + 1);
    if (w.contest) push(where, c.group, c.agent);
  }
  const fleet = w.fleet.map((a) => {
    const l = core.placement.load(a.endpoint);
    return { ...a, assigned: { ...l.assigned }, groupCount: new Map(l.groupCount) };
  });
  return { seconds, placed: sum(placedOf.values()), groupLatenciesMs: batch ? [] : lat, fleet, placedOf, where };
}

/** Runs one driver `runs` times on fresh state; the figure holds medians and pooled per-group latencies. */
export function measure(driver: Driver, w: ScheduleWorkload, runs: number, seed = 1, log: (m: string) => void = () => {}): ScheduleFigure {
  return measureRun(driver, w, runs, seed, log).figure;
}

/** measure(), plus the last run's placement in the contest's ids when the workload has a contest. */
export function measureRun(driver: Driver, w: ScheduleWorkload, runs: number, seed = 1, log: (m: string) => void = () => {}): MeasuredRun {
  const outcomes: RunOutcome[] = [];
  const lat: number[] = [];
  let last: RunOutcome | null = null;
  for (let r = 0; r < runs; r++) {
    Bun.gc(true);
    const o = runDriver(driver, w, seed + r * 7919);
    log(`${w.name} ${driver} run ${r + 1}/${runs}: ${o.placed} placed in ${o.seconds.toFixed(2)} s`);
    outcomes.push({ ...o, fleet: [], where: new Map() });
    for (const v of o.groupLatenciesMs) lat.push(v);
    last = o;
  }
  const o = last!;
  const containers = sum(w.groups.map((g) => g.replica));
  const defs = new Map(w.groups.map((g) => [g.id, g]));
  const m = fleetMetrics(o.fleet);
  const lats = summarize(lat);
  const placement = w.contest ? contestPlacement(w.contest, o.where) : undefined;
  const figure: ScheduleFigure = {
    workload: w.name, driver, agents: w.fleet.length, groups: w.groups.length, containers, runs, placed: o.placed,
    placedFraction: round(o.placed / Math.max(1, containers), 4),
    seconds: round(median(outcomes.map((x) => x.seconds)), 3),
    placementsPerSec: Math.round(median(outcomes.map((x) => x.placed / Math.max(x.seconds, 1e-9)))),
    groupP50Ms: round(lats.p50, 3), groupP99Ms: round(lats.p99, 3), agentsUsed: m.agentsUsed,
    cpuPacking: round(m.cpuPacking, 4), memoryPacking: round(m.memoryPacking, 4),
    stillFitting: stillFitting(o.fleet, w.groups, (g) => o.placedOf.get(g) ?? 0),
    violations: violations(o.fleet, defs),
  };
  if (w.contest && placement) figure.contest = scorePlacement(w.contest.problem, placement);
  return { figure, placement };
}

function push(m: Map<string, string[]>, k: string, v: string): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function sum(xs: Iterable<number>): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
