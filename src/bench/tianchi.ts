// The Alibaba Tianchi 2018 placement workload (data set B), read from the shared traces folder:
// 6,000 machines -> agents, 9,338 apps -> groups (replica = its instances; request = the peak of its cpu and
// memory curves, and its disk), self interference rules -> max_per_host (the judge allows k+1 for app_a == app_b).
// cross-app rules <A, B, k> -> A's anti-affinity {job: B, max_per_host: k}.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { NotFoundError } from "../core/errors.ts";
import type { AntiAffinityRule } from "../scheduler/index.ts";
import type { ContestApp, ContestMachine, ContestProblem, ContestRule } from "./contest-score.ts";
import type { GroupDef, Shape } from "./workload.ts";

export const TIANCHI_DIR = "alibaba-tianchi-2018";
const PREFIX = "scheduling_preliminary_b_";
const FILES = {
  machines: `${PREFIX}machine_resources_20180726.csv`,
  apps: `${PREFIX}app_resources_20180726.csv.gz`,
  instances: `${PREFIX}instance_deploy_20180726.csv`,
  rules: `${PREFIX}app_interference_20180726.csv`,
};

export interface TianchiMachine extends Shape {
  id: string;
}

export interface TianchiWorkload {
  machines: TianchiMachine[];
  groups: GroupDef[];
  instances: number;
  selfRules: number;
  crossRules: number;
}

const GiB = 2 ** 30;

/** The traces folder: `--traces` when given, else <repo>/../shared/traces, else /work/shared/traces. */
export function resolveTracesDir(flag: string | undefined, repoRoot: string): string {
  const candidates = flag ? [resolve(flag)] : [join(repoRoot, "..", "shared", "traces"), "/work/shared/traces"];
  for (const c of candidates) if (existsSync(join(c, TIANCHI_DIR, FILES.machines))) return c;
  throw new NotFoundError("traces folder", `${candidates.join(" or ")} (no ${TIANCHI_DIR}/ inside)`);
}

/** Reads the contest's problem as its judge sees it (contest units: cores, GB); `limitApps` keeps the first N apps. */
export function loadTianchiProblem(tracesDir: string, limitApps = Infinity): ContestProblem {
  const dir = join(tracesDir, TIANCHI_DIR);
  const machines = lines(readFileSync(join(dir, FILES.machines), "utf8")).map(parseContestMachine);
  const appsText = new TextDecoder().decode(Bun.gunzipSync(readFileSync(join(dir, FILES.apps))));
  const appLines = lines(appsText);
  const apps = new Map<string, ContestApp>();
  for (const line of appLines.slice(0, limitApps === Infinity ? undefined : limitApps)) {
    const a = parseContestApp(line);
    apps.set(a.id, a);
  }
  const instances: { id: string; app: string }[] = [];
  for (const line of lines(readFileSync(join(dir, FILES.instances), "utf8"))) {
    const [id, app] = line.split(",");
    if (apps.has(app!)) instances.push({ id: id!, app: app! });
  }
  const rules: ContestRule[] = [];
  for (const line of lines(readFileSync(join(dir, FILES.rules), "utf8"))) {
    const [a, b, k] = line.split(",");
    rules.push({ a: a!, b: b!, k: Number(k) });
  }
  return { machines, apps, instances, rules };
}

/** Reads the workload; `limitApps` keeps only the first N apps (tests). */
export function loadTianchi(tracesDir: string, limitApps = Infinity): TianchiWorkload {
  return tianchiFromProblem(loadTianchiProblem(tracesDir, limitApps));
}

/**
 * The problem as scheduler groups: replica = instances, request = peaks (cpu, memory) and disk, self rules as
 * max_per_host (k + 1), cross-app rules <A, B, k> as A's anti-affinity {job: B, max_per_host: k} (unless applyCross
 * is false: the placement before anti-affinity existed); with `profiles`, each app's curves as its usage profile.
 */
export function tianchiFromProblem(problem: ContestProblem, applyCross = true, profiles = false): TianchiWorkload {
  const machines = problem.machines.map((m) => ({
    id: m.id, millicores: Math.round(m.cpu * 1000), memory: Math.round(m.memory * GiB), disk: Math.round(m.disk * GiB),
  }));
  const count = new Map<string, number>();
  for (const inst of problem.instances) count.set(inst.app, (count.get(inst.app) ?? 0) + 1);
  const maxPerHost = new Map<string, number>();
  const anti = new Map<string, AntiAffinityRule[]>();
  let selfRules = 0;
  let crossRules = 0;
  for (const { a, b, k } of problem.rules) {
    if (a !== b) {
      crossRules++;
      if (applyCross) anti.set(a, [...(anti.get(a) ?? []), { job: groupIdOf(b), maxPerHost: k }]);
      continue;
    }
    selfRules++;
    maxPerHost.set(a, Math.min(maxPerHost.get(a) ?? Infinity, k + 1));
  }
  const groups: GroupDef[] = [];
  let instances = 0;
  for (const app of problem.apps.values()) {
    const replica = count.get(app.id) ?? 0;
    if (replica === 0) continue;
    instances += replica;
    groups.push({
      id: groupIdOf(app.id), replica, jobType: "service", maxPerHost: maxPerHost.get(app.id) ?? 0, antiAffinity: anti.get(app.id),
      resources: { millicores: ceil(peak(app.cpu) * 1000), memory: ceil(peak(app.memory) * GiB), disk: ceil(app.disk * GiB), ssd: 0 },
      ...(profiles ? { profile: profileOf(app) } : {}),
    });
  }
  return { machines, groups, instances, selfRules, crossRules };
}

/** An app's curves in scheduler units: millicores and bytes per point. */
function profileOf(app: ContestApp): { cpu: Float64Array; memory: Float64Array } {
  return { cpu: Float64Array.from(app.cpu, (v) => v * 1000), memory: Float64Array.from(app.memory, (v) => v * GiB) };
}

/** app_123 -> app-123 (group ids are lower-case letters, digits, '.' and '-'). */
export const groupIdOf = (app: string): string => app.toLowerCase().replace(/_/g, "-");

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

function parseContestMachine(line: string): ContestMachine {
  const [id, cpu, mem, disk, p, m, pm] = line.split(",");
  return { id: id!, cpu: Number(cpu), memory: Number(mem), disk: Number(disk), p: Number(p ?? 0), m: Number(m ?? 0), pm: Number(pm ?? 0) };
}

function parseContestApp(line: string): ContestApp {
  const [id, cpu, mem, disk, p, m, pm] = line.split(",");
  return {
    id: id!, cpu: curve(cpu!), memory: curve(mem!), disk: Number(disk), p: Number(p ?? 0), m: Number(m ?? 0), pm: Number(pm ?? 0),
  };
}

const curve = (text: string): Float64Array => Float64Array.from(text.split("|"), Number);

/** Rounds up, ignoring float noise (3.2 * 1000 is 3200.0000000000005). */
const ceil = (x: number): number => Math.ceil(x - 1e-6);

function peak(c: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < c.length; i++) max = Math.max(max, c[i]!);
  return max;
}

/** What the bench needs to judge a run by the contest's rules: the problem and the names on both sides. */
export interface ContestContext {
  problem: ContestProblem;
  /** Scheduler group id -> app id. */
  appOf: ReadonlyMap<string, string>;
  /** Agent endpoint -> machine id. */
  machineOf: ReadonlyMap<string, string>;
}

export const endpointOf = (machineId: string): string => `${machineId.replace(/_/g, "-")}:1646`;

export function contestContext(problem: ContestProblem): ContestContext {
  return {
    problem,
    appOf: new Map([...problem.apps.keys()].map((a) => [groupIdOf(a), a])),
    machineOf: new Map(problem.machines.map((m) => [endpointOf(m.id), m.id])),
  };
}

/**
 * A run's placement in the contest's ids. `where` holds, per group, the endpoints of its placed containers; the
 * instances of an app are identical, so they take those endpoints in the file's order.
 */
export function contestPlacement(ctx: ContestContext, where: ReadonlyMap<string, readonly string[]>): Map<string, string> {
  const left = new Map<string, string[]>();
  for (const [group, endpoints] of where) {
    const app = ctx.appOf.get(group);
    if (app !== undefined) left.set(app, [...endpoints].reverse());
  }
  const out = new Map<string, string>();
  for (const inst of ctx.problem.instances) {
    const endpoint = left.get(inst.app)?.pop();
    if (endpoint === undefined) continue;
    const machine = ctx.machineOf.get(endpoint);
    if (machine === undefined) throw new Error(`invariant: no machine for endpoint ${endpoint}`);
    out.set(inst.id, machine);
  }
  return out;
}
