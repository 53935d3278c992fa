// The schedule benchmark as a whole: build the workloads (C1M shape, Tianchi trace), run each driver, judge targets.
import { dirname, resolve } from "node:path";
import { isCompiled } from "../sys/self.ts";
import { format, pct, table, type Target } from "./report.ts";
import { measureRun, type Driver, type ScheduleFigure, type ScheduleWorkload } from "./schedule.ts";
import { writeFileSync } from "node:fs";
import { exportPlacement, scorePlacement, VIOLATION_KINDS } from "./contest-score.ts";
import { rebalanceContest } from "./rebalance-contest.ts";
import { round } from "./stats.ts";
import { contestContext, endpointOf, loadTianchiProblem, resolveTracesDir, tianchiFromProblem } from "./tianchi.ts";
import type { ScoreKind } from "../scheduler/index.ts";
import { c1mGroups, fleetAgent, syntheticFleet, type Shape } from "./workload.ts";

export interface ScheduleSuiteOptions {
  workloads: ("c1m" | "tianchi")[];
  drivers: Driver[];
  runs: number;
  seed: number;
  agents: number;
  agentShapes: Shape[];
  groups: number;
  replicas: number;
  container: Shape;
  traces?: string;
  /** Keep only the first N Tianchi apps (tests). */
  tianchiApps?: number;
  /** Every group ranks agents this way (default: each group's own, i.e. the scheduler's default). */
  score?: ScoreKind;
  /** The load score's cpu target for every agent (default: the scheduler's). */
  loadTarget?: number;
  /** Tianchi: give every app its cpu and memory curves as a usage profile (checked at every point; place drivers). */
  profiles?: boolean;
  /** Write the first Tianchi driver's placement here (contest CSV: instance_id,machine_id). */
  exportFile?: string;
  /** Tianchi: rebalance each driver's placement for this many seconds (the rebalancer, scheduler/rebalance.ts). */
  rebalanceSeconds?: number;
  log: (msg: string) => void;
}

/** The repository root: beside dist/ for the executable, two folders up from here when run from source. */
export function repoRoot(): string {
  return isCompiled() ? resolve(dirname(process.execPath), "..") : resolve(import.meta.dir, "..", "..");
}

export function c1mWorkload(o: Pick<ScheduleSuiteOptions, "agents" | "agentShapes" | "groups" | "replicas" | "container">): ScheduleWorkload {
  return {
    name: "c1m", fleet: syntheticFleet(o.agents, o.agentShapes), groups: c1mGroups(o.groups, o.replicas, o.container),
    notes: [`${o.agents} agents, ${o.groups} groups x ${o.replicas} replicas`],
  };
}

/** Tianchi groups arrive largest first (memory, then cpu): the order a packing-aware submitter would use. */
export function tianchiWorkload(tracesDir: string, limitApps?: number, profiles = false): ScheduleWorkload {
  const problem = loadTianchiProblem(tracesDir, limitApps);
  const t = tianchiFromProblem(problem, true, profiles);
  const groups = [...t.groups].sort((a, b) => b.resources.memory - a.resources.memory || b.resources.millicores - a.resources.millicores || (a.id < b.id ? -1 : 1));
  return {
    name: "tianchi", fleet: t.machines.map((m) => fleetAgent(endpointOf(m.id), m)), groups, contest: contestContext(problem),
    notes: [`${t.machines.length} machines, ${t.groups.length} apps, ${t.instances} instances`,
      `${t.selfRules} self rules applied as max_per_host; ${t.crossRules} cross-app rules as anti-affinity`,
      ...(profiles ? ["usage profiles: cpu and memory checked at all 98 points (place and batch drivers; the resman drivers send no profile, so they use peaks)"] : [])],
  };
}

/** The workload with every group's score and every agent's load target set as asked. */
export function withScoring(w: ScheduleWorkload, score: ScoreKind | undefined, loadTarget: number | undefined): ScheduleWorkload {
  if (score === undefined && loadTarget === undefined) return w;
  const notes = [...w.notes, `every group scored by ${score ?? "its own score"}; load target ${loadTarget ?? "the scheduler's default"}`];
  return {
    ...w, notes, loadTarget,
    groups: score ? w.groups.map((g) => ({ ...g, score })) : w.groups,
    fleet: loadTarget !== undefined ? w.fleet.map((a) => ({ ...a, loadTarget })) : w.fleet,
  };
}

export function runScheduleSuite(o: ScheduleSuiteOptions): { figures: ScheduleFigure[]; notes: string[] } {
  const figures: ScheduleFigure[] = [];
  const notes: string[] = [];
  let exported = false;
  for (const name of o.workloads) {
    const raw = name === "c1m" ? c1mWorkload(o) : tianchiWorkload(resolveTracesDir(o.traces, repoRoot()), o.tianchiApps, o.profiles);
    const w = withScoring(raw, o.score, o.loadTarget);
    notes.push(...w.notes.map((n) => `${w.name}: ${n}`));
    for (const d of o.drivers) {
      const r = measureRun(d, w, o.runs, o.seed, o.log);
      if (o.rebalanceSeconds && r.placement && w.contest && r.figure.contest) {
        o.log(`${w.name} ${d}: rebalancing for ${o.rebalanceSeconds} s`);
        const rb = rebalanceContest(w.contest.problem, r.placement, o.rebalanceSeconds, o.seed);
        r.figure.rebalance = { seconds: round(rb.seconds, 1), moves: rb.result.moves.length, before: r.figure.contest };
        r.figure.contest = scorePlacement(w.contest.problem, rb.placement);
        r.placement = rb.placement;
      }
      figures.push(r.figure);
      if (o.exportFile && r.placement && w.contest && !exported) {
        writeFileSync(o.exportFile, exportPlacement(w.contest.problem, r.placement));
        notes.push(`${w.name}: ${d}'s placement written to ${o.exportFile} (${r.placement.size} instances)`);
        exported = true;
      }
    }
  }
  return { figures, notes };
}

export function scheduleTable(figures: readonly ScheduleFigure[]): string {
  return table(figures, [
    { header: "WORKLOAD", value: (f) => f.workload },
    { header: "DRIVER", value: (f) => f.driver },
    { header: "AGENTS", value: (f) => f.agents },
    { header: "CONTAINERS", value: (f) => f.containers },
    { header: "PLACED", value: (f) => pct(f.placedFraction) },
    { header: "SECONDS", value: (f) => f.seconds },
    { header: "PLACEMENTS/S", value: (f) => f.placementsPerSec },
    { header: "GROUP P50 MS", value: (f) => (f.groupP50Ms ? f.groupP50Ms : "-") },
    { header: "GROUP P99 MS", value: (f) => (f.groupP99Ms ? f.groupP99Ms : "-") },
    { header: "AGENTS USED", value: (f) => f.agentsUsed },
    { header: "CPU PACK", value: (f) => pct(f.cpuPacking) },
    { header: "MEM PACK", value: (f) => pct(f.memoryPacking) },
    { header: "STILL FITS", value: (f) => f.stillFitting },
    { header: "VIOLATIONS", value: (f) => f.violations.length },
  ]);
}

/** The contest's judgement of each Tianchi figure: score (lower is better), machines used, violations by kind. */
export function contestTable(figures: readonly ScheduleFigure[]): string {
  const rows = figures.filter((f) => f.contest);
  if (rows.length === 0) return "";
  return table(rows, [
    { header: "WORKLOAD", value: (f) => f.workload },
    { header: "DRIVER", value: (f) => f.driver },
    { header: "ONLINE SCORE", value: (f) => (f.rebalance ? f.rebalance.before : f.contest!).score.toFixed(2) },
    { header: "REBALANCED", value: (f) => (f.rebalance ? `${f.rebalance.seconds} s, ${f.rebalance.moves} moves` : "-") },
    { header: "CONTEST SCORE", value: (f) => f.contest!.score.toFixed(2) },
    { header: "MACHINES", value: (f) => f.contest!.machinesUsed },
    { header: "UNPLACED", value: (f) => f.contest!.unplaced },
    ...VIOLATION_KINDS.map((k) => ({ header: k.toUpperCase(), value: (f: ScheduleFigure) => f.contest!.violations[k] })),
  ]);
}

/** The published search result on this data set (issue 18's target). */
export const PUBLISHED_SCORE = 6090.34;

/** C1M >= 25,000 placements/s; Tianchi: every instance that fits placed (nothing left that fits) in < 10 s. */
export function scheduleTargets(figures: readonly ScheduleFigure[]): Target[] {
  const out: Target[] = [];
  for (const f of figures) {
    if (f.workload === "c1m") {
      out.push({ name: `c1m ${f.driver}: placements/s`, goal: ">= 25,000", figure: format(f.placementsPerSec), met: f.placementsPerSec >= 25_000 && f.violations.length === 0 });
    } else {
      out.push({
        name: `tianchi ${f.driver}: all that fit placed`, goal: "< 10 s, 0 still fit",
        figure: `${format(f.seconds)} s, ${pct(f.placedFraction)} placed, ${f.stillFitting} still fit`,
        met: f.seconds < 10 && f.stillFitting === 0 && f.violations.length === 0,
      });
      if (f.contest) {
        const c = f.contest;
        out.push({
          name: `tianchi ${f.driver}: placement quality${f.rebalance ? `, + ${f.rebalance.seconds} s rebalancing` : ""}`, goal: `valid, score < ${format(PUBLISHED_SCORE)}`,
          figure: `${c.score.toFixed(2)}, ${c.totalViolations + c.unplaced} violations`, met: c.totalViolations === 0 && c.unplaced === 0 && c.score < PUBLISHED_SCORE,
        });
      }
    }
  }
  return out;
}
