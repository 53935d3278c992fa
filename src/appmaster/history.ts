// A job's versions (galaxy history, update --rollback --to N, plan of an existing job), pure: each version's
// description, when and by whom it was made and what changed from the one before; and a readable diff of two
// descriptions, path by path.
import type { JobSpec } from "../core/jobspec.ts";

/** What a job's history is read from and kept in (Versioned has it: no import back of jobs.ts). */
export interface Versioned {
  version: number;
  spec: JobSpec;
  history?: VersionRec[];
}

export interface VersionRec {
  version: number;
  at: number;
  user: string;
  /** created | rebuild | reload | recreate | rollback to N, then the changed paths ("pod.tasks.web.command"). */
  change: string;
  spec: JobSpec;
}

/** Versions kept per job (the oldest go first); rollback --to reaches only these. */
export const HISTORY_KEEP = 20;

/** The history after `version` (a new one, or a rollback reusing an old number) was made. */
export function recordVersion(job: Versioned, prev: JobSpec | null, user: string, kind: string, now: number): VersionRec[] {
  const paths = prev ? specDiff(prev, job.spec).map((d) => d.path) : [];
  const what = paths.length > 4 ? [...paths.slice(0, 4), `${paths.length - 4} more`] : paths;
  const rec: VersionRec = { version: job.version, at: now, user, change: what.length ? `${kind}: ${what.join(", ")}` : kind, spec: job.spec };
  return [...(job.history ?? []), rec].slice(-HISTORY_KEEP);
}

/** The description of version n, with the replica the job has now (a rollback does not scale, like scale). */
export function specOfVersion(job: Versioned, n: number): JobSpec | null {
  const rec = [...(job.history ?? [])].reverse().find((h) => h.version === n);
  if (!rec) return null;
  return { ...rec.spec, deploy: { ...rec.spec.deploy, replica: job.spec.deploy.replica } };
}

export interface DiffLine {
  path: string;
  /** JSON of the value before / after (undefined: absent). */
  from?: string;
  to?: string;
}

/** Leaf by leaf differences; tasks are named by their name (pod.tasks.web.command), not their index. */
export function specDiff(a: JobSpec, b: JobSpec): DiffLine[] {
  const fa = flatten(keyTasks(a));
  const fb = flatten(keyTasks(b));
  const paths = [...new Set([...fa.keys(), ...fb.keys()])];
  return paths.filter((p) => fa.get(p) !== fb.get(p)).map((path) => ({ path, from: fa.get(path), to: fb.get(path) }));
}

/** Unified-diff-like text of a diff: `- path: old` / `+ path: new` lines. */
export function formatDiff(lines: DiffLine[]): string[] {
  const out: string[] = [];
  for (const d of lines) {
    if (d.from !== undefined) out.push(`- ${d.path}: ${d.from}`);
    if (d.to !== undefined) out.push(`+ ${d.path}: ${d.to}`);
  }
  return out;
}

function keyTasks(s: JobSpec): unknown {
  const tasks = Object.fromEntries(s.pod.tasks.map((t) => [t.name, { ...t, name: undefined }]));
  return { ...s, pod: { ...s.pod, tasks } };
}

function flatten(v: unknown, prefix = "", out = new Map<string, string>()): Map<string, string> {
  if (v === undefined) return out;
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  out.set(prefix, JSON.stringify(v));
  return out;
}

const IN_PLACE: Record<string, string> = {
  recreate: "recreate (new container)", rebuild: "rebuild in place", reload: "reload data in place",
};

/** What each pod of job `jobId` gets from a change of `kind` that takes the replica from `from` to `to`. */
export function podChanges(jobId: string, kind: string, from: number, to: number): { pod: string; action: string }[] {
  const out: { pod: string; action: string }[] = [];
  for (let i = 0; i < Math.max(from, to); i++) {
    const action = i >= to ? "remove (scale down)" : i >= from ? "new (scale up)" : (IN_PLACE[kind] ?? "unchanged");
    out.push({ pod: `${jobId}.${i}`, action });
  }
  return out;
}
