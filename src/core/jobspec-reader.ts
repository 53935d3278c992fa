// Reading one map of a job file: paths, the problem list, "did you mean" suggestions and MapReader, which reads a
// field of a map by kind (int, size, duration, ...) and reports a bad value in the golden style. The job file's
// fields are described once in jobspec-schema.ts on top of these.
//
// Readers never throw: a bad value is reported (path + one sentence) and replaced by its default, so that checking
// goes on and every problem of a file is reported at once. A spec is only handed out when no problem was found.

import { formatDuration, parseDuration, parseSize } from "./units.ts";

export interface JobSpecProblem { path: string; line?: number; message: string }

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

