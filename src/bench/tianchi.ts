// The Alibaba Tianchi 2018 placement workload (data set B), read from the shared traces folder:
// 6,000 machines -> agents, 9,338 apps -> groups (replica = its instances; request = the peak of its cpu and
// memory curves, and its disk), self interference rules -> max_per_host (the judge allows k+1 for app_a == app_b).
// Cross-app rules (anti-affinity between two jobs) have no equivalent in GroupSpec; they are counted, not applied.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { NotFoundError } from "../core/errors.ts";
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

/** Reads the workload; `limitApps` keeps only the first N apps (tests). */
export function loadTianchi(tracesDir: string, limitApps = Infinity): TianchiWorkload {
  const dir = join(tracesDir, TIANCHI_DIR);
  const machines = lines(readFileSync(join(dir, FILES.machines), "utf8")).map(parseMachine);
  const appsText = new TextDecoder().decode(Bun.gunzipSync(readFileSync(join(dir, FILES.apps))));
  const apps = lines(appsText).slice(0, limitApps === Infinity ? undefined : limitApps).map(parseApp);
  const count = new Map<string, number>();
  for (const line of lines(readFileSync(join(dir, FILES.instances), "utf8"))) {
    const app = line.split(",")[1]!;
    count.set(app, (count.get(app) ?? 0) + 1);
  }
  const maxPerHost = new Map<string, number>();
  let selfRules = 0;
  let crossRules = 0;
  for (const line of lines(readFileSync(join(dir, FILES.rules), "utf8"))) {
    const [a, b, k] = line.split(",");
    if (a !== b) {
      crossRules++;
      continue;
    }
    selfRules++;
    const limit = Number(k) + 1;
    maxPerHost.set(a!, Math.min(maxPerHost.get(a!) ?? Infinity, limit));
  }
  const groups: GroupDef[] = [];
  let instances = 0;
  for (const app of apps) {
    const replica = count.get(app.id) ?? 0;
    if (replica === 0) continue;
    instances += replica;
    groups.push({
      id: groupIdOf(app.id), replica, jobType: "service", maxPerHost: maxPerHost.get(app.id) ?? 0,
      resources: { millicores: app.millicores, memory: app.memory, disk: app.disk, ssd: 0 },
    });
  }
  return { machines, groups, instances, selfRules, crossRules };
}

/** app_123 -> app-123 (group ids are lower-case letters, digits, '.' and '-'). */
export const groupIdOf = (app: string): string => app.toLowerCase().replace(/_/g, "-");

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

function parseMachine(line: string): TianchiMachine {
  const [id, cpu, mem, disk] = line.split(",");
  return { id: id!, millicores: Math.round(Number(cpu) * 1000), memory: Math.round(Number(mem) * GiB), disk: Math.round(Number(disk) * GiB) };
}

function parseApp(line: string): { id: string } & Shape {
  const [id, cpu, mem, disk] = line.split(",");
  return { id: id!, millicores: ceil(peak(cpu!) * 1000), memory: ceil(peak(mem!) * GiB), disk: ceil(Number(disk) * GiB) };
}

/** Rounds up, ignoring float noise (3.2 * 1000 is 3200.0000000000005). */
const ceil = (x: number): number => Math.ceil(x - 1e-6);

function peak(curve: string): number {
  let max = 0;
  for (const v of curve.split("|")) max = Math.max(max, Number(v));
  return max;
}
