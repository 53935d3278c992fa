// The Alibaba Tianchi 2018 contest's judge, as a pure function: a placement (instance -> machine) of a problem
// (machines, apps with 98-point cpu and memory curves, instances, interference rules) -> the score and the broken
// constraints by kind. No I/O: tianchi.ts reads the files, the bench feeds its placements in.
//
//   score = mean over the 98 points of  sum over machines hosting anything of  1 + 10 * (exp(max(0, u - 0.5)) - 1)
//           u = the machine's cpu utilisation at that point (the sum of its instances' cpu curves / its cores)
//   violations (each counted once per machine, interference once per machine and rule):
//     cpu, memory   the sum of the curves above the machine's capacity at any point
//     disk, p, m, pm   the sum above the capacity
//     interference  <A, B, k>: a machine hosting A holds more than k instances of B (k + 1 when A = B)
//     unplaced      instances with no machine, or a machine the problem does not have

export interface ContestMachine {
  id: string;
  cpu: number;
  memory: number;
  disk: number;
  p: number;
  m: number;
  pm: number;
}

export interface ContestApp {
  id: string;
  /** One value per time point (98 in the contest). */
  cpu: ArrayLike<number>;
  memory: ArrayLike<number>;
  disk: number;
  p: number;
  m: number;
  pm: number;
}

export interface ContestRule {
  a: string;
  b: string;
  k: number;
}

export interface ContestProblem {
  machines: readonly ContestMachine[];
  apps: ReadonlyMap<string, ContestApp>;
  /** In the file's order. */
  instances: readonly { id: string; app: string }[];
  rules: readonly ContestRule[];
}

export const VIOLATION_KINDS = ["cpu", "memory", "disk", "p", "m", "pm", "interference"] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

export interface ContestScore {
  score: number;
  machinesUsed: number;
  unplaced: number;
  violations: Record<ViolationKind, number>;
  /** Sum of every kind (0: a valid placement, if nothing is unplaced). */
  totalViolations: number;
}

/** Slack for float sums of curves (the trace has 6 decimals). */
const EPS = 1e-6;

/** The cost of one machine at one point, utilisation u (0..1). */
export const pointCost = (u: number): number => 1 + 10 * (Math.exp(Math.max(0, u - 0.5)) - 1);

/** Judges a placement: instance id -> machine id. */
export function scorePlacement(problem: ContestProblem, placement: ReadonlyMap<string, string>): ContestScore {
  const byMachine = groupByMachine(problem, placement);
  const violations = Object.fromEntries(VIOLATION_KINDS.map((k) => [k, 0])) as Record<ViolationKind, number>;
  const rulesOf = indexRules(problem.rules);
  let score = 0;
  for (const m of problem.machines) {
    const apps = byMachine.hosted.get(m.id);
    if (!apps || apps.length === 0) continue;
    const j = judgeMachine(m, apps, rulesOf);
    score += j.cost;
    for (const k of VIOLATION_KINDS) violations[k] += j.broken[k];
  }
  const totalViolations = VIOLATION_KINDS.reduce((s, k) => s + violations[k], 0);
  return { score, machinesUsed: byMachine.hosted.size, unplaced: byMachine.unplaced, violations, totalViolations };
}

function groupByMachine(problem: ContestProblem, placement: ReadonlyMap<string, string>): { hosted: Map<string, ContestApp[]>; unplaced: number } {
  const known = new Set(problem.machines.map((m) => m.id));
  const hosted = new Map<string, ContestApp[]>();
  let unplaced = 0;
  for (const inst of problem.instances) {
    const machine = placement.get(inst.id);
    const app = problem.apps.get(inst.app);
    if (machine === undefined || !known.has(machine) || !app) {
      unplaced++;
      continue;
    }
    const list = hosted.get(machine);
    if (list) list.push(app);
    else hosted.set(machine, [app]);
  }
  return { hosted, unplaced };
}

function indexRules(rules: readonly ContestRule[]): Map<string, ContestRule[]> {
  const out = new Map<string, ContestRule[]>();
  for (const r of rules) {
    const list = out.get(r.a);
    if (list) list.push(r);
    else out.set(r.a, [r]);
  }
  return out;
}

interface MachineJudgement {
  /** Mean over the points of pointCost. */
  cost: number;
  broken: Record<ViolationKind, number>;
}

function judgeMachine(m: ContestMachine, apps: readonly ContestApp[], rulesOf: ReadonlyMap<string, ContestRule[]>): MachineJudgement {
  const points = apps[0]!.cpu.length;
  const cpu = new Float64Array(points);
  const mem = new Float64Array(points);
  let disk = 0, p = 0, mm = 0, pm = 0;
  const count = new Map<string, number>();
  for (const a of apps) {
    for (let t = 0; t < points; t++) {
      cpu[t] = cpu[t]! + a.cpu[t]!;
      mem[t] = mem[t]! + a.memory[t]!;
    }
    disk += a.disk;
    p += a.p;
    mm += a.m;
    pm += a.pm;
    count.set(a.id, (count.get(a.id) ?? 0) + 1);
  }
  let cost = 0;
  let cpuOver = false, memOver = false;
  for (let t = 0; t < points; t++) {
    cost += pointCost(cpu[t]! / m.cpu);
    if (cpu[t]! > m.cpu + EPS) cpuOver = true;
    if (mem[t]! > m.memory + EPS) memOver = true;
  }
  const broken: Record<ViolationKind, number> = {
    cpu: cpuOver ? 1 : 0, memory: memOver ? 1 : 0, disk: disk > m.disk + EPS ? 1 : 0,
    p: p > m.p + EPS ? 1 : 0, m: mm > m.m + EPS ? 1 : 0, pm: pm > m.pm + EPS ? 1 : 0,
    interference: brokenRules(count, rulesOf),
  };
  return { cost: cost / points, broken };
}

/** Rules <A, B, k> broken on one machine: A present and more than k of B (k + 1 when A = B). */
export function brokenRules(count: ReadonlyMap<string, number>, rulesOf: ReadonlyMap<string, readonly ContestRule[]>): number {
  let n = 0;
  for (const a of count.keys()) {
    for (const r of rulesOf.get(a) ?? []) {
      const limit = r.a === r.b ? r.k + 1 : r.k;
      if ((count.get(r.b) ?? 0) > limit) n++;
    }
  }
  return n;
}

/** The contest's submission: `instance_id,machine_id` per placed instance, in the problem's instance order. */
export function exportPlacement(problem: ContestProblem, placement: ReadonlyMap<string, string>): string {
  const out: string[] = [];
  for (const inst of problem.instances) {
    const m = placement.get(inst.id);
    if (m !== undefined) out.push(`${inst.id},${m}\n`);
  }
  return out.join("");
}
