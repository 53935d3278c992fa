// The job file's schema (jobspec.md): the normalised JobSpec types, and the readers that turn the raw parsed file
// into them while collecting every problem with its path. jobspec.ts assembles these into validateJobSpec.
//
// Readers never throw: a bad value is reported (path + one sentence) and replaced by its default, so that checking
// goes on and every problem of a file is reported at once. A spec is only handed out when no problem was found.

import { JOB_TYPES, type JobType } from "./domain.ts";
import { portEnvName } from "./env.ts";
import { formatDuration, parseDuration, parseSize } from "./units.ts";

export { JOB_TYPES, type JobType };
export type Medium = "disk" | "ssd" | "tmpfs";

export interface PackageSpec { source: string; version: string; dest: string }
export interface VolumeSpec {
  path: string; size: number; medium: Medium; exclusive: boolean; readonly: boolean;
  /** Its data outlives the container (recreation, updates, agent restarts); removed with the job, after `retention`. */
  persistent: boolean;
  /** Persistent: the container may only go to the agent and device holding its data. */
  sticky: boolean;
  /** Persistent: how long (ms) the data stays after the job is removed (0: removed with it). */
  retention: number;
}
/** Block io of a task (0: no limit): io weight 100..1000, and throttles in bytes and operations per second. */
export interface IoSpec { weight: number; readBps: number; writeBps: number; readIops: number; writeIops: number }
export const NO_IO: IoSpec = { weight: 0, readBps: 0, writeBps: 0, readIops: 0, writeIops: 0 };
export interface PortSpec { name: string; port: number /* 0 = dynamic */ }
export interface TaskSpec {
  name: string;
  cpu: { millicores: number; excess: boolean };
  memory: { size: number; excess: boolean };
  /** Block io limits (`io:`); NO_IO when the task sets none. */
  io: IoSpec;
  ports: PortSpec[];
  package?: PackageSpec;
  start: string;
  stop: string;
  health?: { port?: string; cmd?: string };
  data?: { reload: string; packages: PackageSpec[] };
  services: { name: string; port: string }[];
}
export interface DeploySpec {
  replica: number;
  step: number;
  interval: number;
  maxPerHost: number; // 0 = no limit
  /** Where this job runs, at most maxPerHost containers of `job` (a job name of the same user); the reverse holds too. */
  antiAffinity: { job: string; maxPerHost: number }[];
  pools: string[];
  labels: string[];
  spread: boolean;
  /** How the scheduler ranks agents: binpack, spread, load; "" = the scheduler's default (spread: true means spread). */
  score: "" | "binpack" | "spread" | "load";
  /**
   * A usage profile (issue 18): the pod's cpu and memory over a day as fractions of its request, at evenly spaced
   * points; the scheduler sums profiled pods' curves per point instead of adding peaks. null: none (peaks count).
   */
  profile: { cpu: number[]; memory: number[] } | null;
  updateBreak: number;
  deployTimeout: number;
  stopTimeout: number;
  restart: { attempts: number; delay: number; maxDelay: number };
}
export interface PodSpec {
  workspace: { size: number; medium: "disk" | "ssd" };
  volumes: VolumeSpec[];
  tasks: TaskSpec[];
}
/** A validated job: sizes in bytes, durations in ms, every default filled in. */
export interface JobSpec { name: string; type: JobType; deploy: DeploySpec; pod: PodSpec }

export interface JobSpecProblem { path: string; line?: number; message: string }

const SERVICE: JobType = "service";

/** Defaults of jobspec.md. `type` defaults to service when the file leaves it out. */
export const DEFAULTS = {
  type: SERVICE,
  step: 1,
  interval: 0,
  maxPerHost: 0,
  updateBreak: 0,
  deployTimeout: 5 * 60_000,
  stopTimeout: 30_000,
  restart: { attempts: 10, delay: 1000, maxDelay: 60_000 },
  workspace: { size: 1024 ** 3, medium: "disk" as const },
  volumeMedium: "disk" as const,
  packageDest: ".",
};

// ---- paths and problems ----------------------------------------------------------------------------------

export function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}

export function parentPath(path: string): string {
  const m = /^(.*)(\[\d+\]|\.[^.[]*)$/.exec(path);
  return m ? m[1]! : "";
}

/** Collects problems; gives each the line of its path, or of its nearest ancestor that has one. */
export class ProblemList {
  readonly problems: JobSpecProblem[] = [];
  constructor(private readonly lines?: (path: string) => number | undefined) {}

  report(path: string, message: string): void {
    const line = this.lineOf(path);
    this.problems.push(line === undefined ? { path, message } : { path, line, message });
  }

  private lineOf(path: string): number | undefined {
    if (!this.lines) return undefined;
    for (let p = path; ; p = parentPath(p)) {
      const line = this.lines(p);
      if (line !== undefined || p === "") return line;
    }
  }
}

/** How a wrong value is named in a message: 'three', 3.5, true, a list, a map, nothing. */
export function describe(v: unknown): string {
  if (v === undefined || v === null) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  if (typeof v === "string") return `'${v}'`;
  return String(v);
}

// ---- suggestions -----------------------------------------------------------------------------------------

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate `word` most likely stands for (edit distance <= 2, or equal ignoring case, `_` and `-`). */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const loose = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = loose(c) === loose(word) ? 0 : editDistance(word, c);
    if (dist <= 2 && dist <= c.length / 2 && dist < bestDistance) [best, bestDistance] = [c, dist];
  }
  return best;
}

// ---- readers -----------------------------------------------------------------------------------------------

interface IntOpts { min?: number; max?: number; def?: number }
interface DurationOpts { def: number; min?: number }

/** Reads the fields of one map of the file. Missing (or empty) fields take their default. */
export class MapReader {
  constructor(
    readonly list: ProblemList,
    readonly path: string,
    readonly raw: Record<string, unknown>,
    readonly broken = false, // the map itself was the wrong type: its fields are not "required" again
    private readonly misspelt = new Set<string>(), // keys an unknown key was taken for: not "required" again
  ) {}

  at(key: string): string {
    return childPath(this.path, key);
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  /** The raw value, or undefined (and a "required" problem when `required`). */
  value(key: string, required = false): unknown {
    if (this.has(key)) return this.raw[key];
    if (required && !this.broken && !this.misspelt.has(key)) this.list.report(this.at(key), "required");
    return undefined;
  }

  str(key: string, opts: { def?: string; nonEmpty?: boolean } = {}): string {
    const v = this.value(key, opts.def === undefined);
    if (v === undefined) return opts.def ?? "";
    if (typeof v !== "string") return this.wrong(key, "a string", v, opts.def ?? "");
    if (opts.nonEmpty && v.trim() === "") return this.fail(key, "must not be empty", opts.def ?? "");
    return v;
  }

  int(key: string, opts: IntOpts): number {
    const v = this.value(key, opts.def === undefined);
    const def = opts.def ?? 0;
    if (v === undefined) return def;
    if (typeof v !== "number" || !Number.isSafeInteger(v)) return this.wrong(key, "a whole number", v, def);
    const { min, max } = opts;
    if (min !== undefined && max !== undefined && (v < min || v > max)) return this.fail(key, `must be in ${min}..${max}, got ${v}`, def);
    if (min !== undefined && v < min) return this.fail(key, `must be at least ${min}, got ${v}`, def);
    return v;
  }

  bool(key: string, def = false): boolean {
    const v = this.value(key);
    if (v === undefined) return def;
    return typeof v === "boolean" ? v : this.wrong(key, "true or false", v, def);
  }

  size(key: string, def?: number): number {
    const v = this.value(key, def === undefined);
    if (v === undefined) return def ?? 0;
    if (typeof v !== "string" && typeof v !== "number") return this.wrong(key, "a size like 256M", v, def ?? 0);
    const bytes = this.convert(key, () => parseSize(v));
    if (bytes === 0) return this.fail(key, "must be more than 0", def ?? 0);
    return bytes ?? def ?? 0;
  }

  duration(key: string, opts: DurationOpts): number {
    const v = this.value(key);
    if (v === undefined) return opts.def;
    if (typeof v !== "string" && typeof v !== "number") return this.wrong(key, "a duration like 30s", v, opts.def);
    const ms = this.convert(key, () => parseDuration(v));
    if (ms === undefined) return opts.def;
    if (opts.min !== undefined && ms < opts.min) return this.fail(key, `must be at least ${formatDuration(opts.min)}`, opts.def);
    return ms;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], what: string, def: T): T {
    const v = this.value(key);
    if (v === undefined) return def;
    if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
    if (typeof v !== "string") return this.wrong(key, what, v, def);
    const near = suggest(v, allowed);
    const hint = near ? `did you mean ${near}?` : `use one of ${allowed.join(", ")}`;
    return this.fail(key, `'${v}' is not a ${what}; ${hint}`, def);
  }

  /** A list of distinct non-empty strings; `required` also means non-empty. */
  strings(key: string, required = false): string[] {
    const items = this.items(key, required);
    if (required && this.has(key) && Array.isArray(this.raw[key]) && items.length === 0) {
      return this.fail(key, "needs at least one entry", []);
    }
    const out: string[] = [];
    items.forEach((v, i) => {
      const p = childPath(this.at(key), i);
      if (typeof v !== "string" || v.trim() === "") this.list.report(p, `expected a name, got ${describe(v)}`);
      else if (out.includes(v)) this.list.report(p, `'${v}' is listed twice`);
      else out.push(v);
    });
    return out;
  }

  /** The entries of a list field ([] when absent or not a list). */
  items(key: string, required = false): unknown[] {
    const v = this.value(key, required);
    if (v === undefined) return [];
    if (Array.isArray(v)) return v;
    const hint = typeof v === "string" || typeof v === "number" ? `; use [${v}]` : "";
    return this.fail(key, `expected a list, got ${describe(v)}${hint}`, []);
  }

  /** A reader for a nested map field; a missing map reads as empty (its required fields get reported). */
  map(key: string, keys: readonly string[]): MapReader {
    return readMap(this.list, this.value(key), this.at(key), keys);
  }

  fail<T>(key: string, message: string, fallback: T): T {
    this.list.report(this.at(key), message);
    return fallback;
  }

  private wrong<T>(key: string, expected: string, got: unknown, fallback: T): T {
    return this.fail(key, `expected ${expected}, got ${describe(got)}`, fallback);
  }

  private convert(key: string, parse: () => number): number | undefined {
    try {
      return parse();
    } catch (e) {
      this.list.report(this.at(key), e instanceof Error ? e.message : String(e));
      return undefined;
    }
  }
}

/** Starts reading the map at `path`: reports a non-map value and every key outside `keys`. */
export function readMap(list: ProblemList, v: unknown, path: string, keys: readonly string[]): MapReader {
  if (v === undefined || v === null) return new MapReader(list, path, {});
  if (typeof v !== "object" || Array.isArray(v)) {
    list.report(path, `expected a map, got ${describe(v)}`);
    return new MapReader(list, path, {}, true);
  }
  const raw = v as Record<string, unknown>;
  const misspelt = new Set<string>();
  for (const key of Object.keys(raw)) {
    if (keys.includes(key)) continue;
    const near = suggest(key, keys);
    if (near) misspelt.add(near);
    list.report(childPath(path, key), near ? `unknown key; did you mean ${near}?` : `unknown key; expected one of ${keys.join(", ")}`);
  }
  return new MapReader(list, path, raw, false, misspelt);
}

// ---- checks across the pod ----------------------------------------------------------------------------------

/** Rules that span tasks: unique task, port, service names and volume paths; fixed ports used once; health and
 * service ports name a port declared in the pod. Entries already reported as bad (empty names) are skipped. */
export function checkPod(list: ProblemList, pod: PodSpec): void {
  const at = (i: number, rest: string) => `pod.tasks[${i}]${rest}`;
  unique(list, pod.tasks.map((t, i) => [t.name, at(i, ".name")]), (n) => `task '${n}' is declared twice`);
  unique(list, pod.volumes.map((v, i) => [v.path, `pod.volumes[${i}].path`]), (p) => `volume '${p}' is declared twice`);
  const ports = pod.tasks.flatMap((t, i) => t.ports.map((p, j) => ({ ...p, path: at(i, `.ports[${j}]`) })));
  unique(list, ports.map((p) => [p.name, `${p.path}.name`]), (n) => `port '${n}' is declared twice in the pod`);
  const fixed = ports.filter((p) => p.port > 0);
  unique(list, fixed.map((p) => [String(p.port), `${p.path}.port`]), (n) => `port ${n} is used twice in the pod`);
  const envs = new Map<string, string>();
  for (const p of ports) {
    const env = portEnvName(p.name);
    const other = envs.get(env);
    if (p.name !== "" && other !== undefined && other !== p.name) list.report(`${p.path}.name`, `'${p.name}' and '${other}' both set ${env}`);
    else if (p.name !== "") envs.set(env, p.name);
  }
  const names = [...new Set(ports.map((p) => p.name).filter((n) => n !== ""))];
  pod.tasks.forEach((t, i) => {
    if (t.health?.port) checkPortRef(list, at(i, ".health.port"), t.health.port, names);
    t.services.forEach((s, j) => checkPortRef(list, at(i, `.services[${j}].port`), s.port, names));
  });
  const services = pod.tasks.flatMap((t, i) => t.services.map((s, j) => [s.name, at(i, `.services[${j}].name`)] as [string, string]));
  unique(list, services, (n) => `service '${n}' is declared twice in the pod`);
}

function checkPortRef(list: ProblemList, path: string, name: string, declared: string[]): void {
  if (name === "" || declared.includes(name)) return;
  const near = suggest(name, declared);
  const hint = near ? `; did you mean ${near}?` : declared.length ? `; declared: ${declared.join(", ")}` : "; the pod declares no ports";
  list.report(path, `no port named '${name}'${hint}`);
}

/** Reports every entry whose value was seen before (empty values are skipped). */
function unique(list: ProblemList, entries: [string, string][], message: (v: string) => string): void {
  const seen = new Set<string>();
  for (const [value, path] of entries) {
    if (value !== "" && seen.has(value)) list.report(path, message(value));
    seen.add(value);
  }
}
