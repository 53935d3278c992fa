// Pure views of what the RPCs answer: filters, sorting, counts, who may press which button, utilisation, YAML.
// No DOM here: model.test.ts runs under bun test.

export interface JobRow {
  id: string; name: string; jobType: string; user: string; state: string; status: string; pools: string[];
  replica: number; healthy: number; running: number; version: number; createdAt: number;
}

export interface Me { user: string; admin: boolean; grants: Record<string, string[]> }

export interface JobFilter { q: string; status: string; type: string; pool: string; user: string }
export const NO_FILTER: JobFilter = { q: "", status: "", type: "", pool: "", user: "" };

/** The pools a job's normalised description names (deploy.pools). */
export function poolsOf(specJson: string): string[] {
  try {
    const pools = (JSON.parse(specJson) as { deploy?: { pools?: unknown } }).deploy?.pools;
    return Array.isArray(pools) ? pools.filter((p): p is string => typeof p === "string") : [];
  } catch {
    return [];
  }
}

export function filterJobs(jobs: readonly JobRow[], f: JobFilter): JobRow[] {
  const q = f.q.trim().toLowerCase();
  return jobs.filter((j) =>
    (!q || j.id.toLowerCase().includes(q) || j.name.toLowerCase().includes(q) || j.user.toLowerCase().includes(q)) &&
    (!f.status || j.status === f.status) && (!f.type || j.jobType === f.type) &&
    (!f.pool || j.pools.includes(f.pool)) && (!f.user || j.user === f.user));
}

export type SortKey = keyof JobRow;

export function sortJobs(jobs: readonly JobRow[], key: SortKey, desc: boolean): JobRow[] {
  const cmp = (a: JobRow, b: JobRow): number => {
    const x = a[key];
    const y = b[key];
    const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return c !== 0 ? c : a.id.localeCompare(b.id);
  };
  const out = [...jobs].sort(cmp);
  return desc ? out.reverse() : out;
}

/** How many jobs are in each status, most first (ties by name). */
export function countBy(jobs: readonly JobRow[], key: "status" | "state"): [string, number][] {
  const m = new Map<string, number>();
  for (const j of jobs) m.set(j[key], (m.get(j[key]) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** The distinct values of a field, sorted (the filters' choices). */
export function choices(jobs: readonly JobRow[], pick: (j: JobRow) => string[]): string[] {
  return [...new Set(jobs.flatMap(pick))].filter(Boolean).sort();
}

const allows = (me: Me, pool: string, action: string) => (me.grants[pool] ?? []).some((a) => a === action || a === "admin");

/** AppMaster's rule (appmaster/authz.ts): admin, or the owner with `update` in every pool of the job. */
export function mayUpdate(me: Me, job: { user: string; pools: readonly string[] }): boolean {
  return me.admin || (job.user === me.user && job.pools.every((p) => allows(me, p, "update")));
}

/** ResMan's rule for drain / offline / online: admin, or `admin` in the agent's pool. */
export function mayAdminAgent(me: Me, pool: string): boolean {
  return me.admin || (me.grants[pool] ?? []).includes("admin");
}

/** used / total in [0, 1]; 0 when there is no total. */
export const ratio = (used: number, total: number): number => (total > 0 ? Math.min(1, Math.max(0, used / total)) : 0);

export interface AgentLoad { state: string; cpu: number; mem: number; disk: number }

/** An agent's utilisation for the topology: the fullest of cpu, memory and disk (assigned against total). */
export const loadOf = (a: AgentLoad): number => Math.max(a.cpu, a.mem, a.disk);

/** A cell's colour: grey when the agent takes nothing (dead, offline), else green (idle) through amber to red (full). */
export function heat(a: AgentLoad): string {
  if (a.state === "dead") return "#3a3f47";
  if (a.state === "offline") return "#6b7280";
  const u = loadOf(a);
  const hue = Math.round(130 - 130 * u); // 130 green .. 0 red
  return `hsl(${hue} 70% ${a.state === "draining" ? 35 : 45}%)`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export const cores = (millicores: number): string => (millicores % 1000 === 0 ? `${millicores / 1000}` : (millicores / 1000).toFixed(2));

/** "12s ago", "3m ago", "2h ago", "4d ago"; "" for 0. */
export function ago(at: number, now: number): string {
  if (!at) return "";
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

const PLAIN = /^[A-Za-z_/.][A-Za-z0-9_ ./:@,()+-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|~|-?\d.*)$/i;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v !== "string") return String(v);
  return PLAIN.test(v) && !RESERVED.test(v) && !v.endsWith(" ") && !v.includes(": ") ? v : JSON.stringify(v);
}

/** A JSON value as YAML (block style; multi-line strings as `|`), for reading a job's description. */
export function toYaml(v: unknown, indent = ""): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return v.map((x) => `${indent}- ${toYaml(x, indent + "  ").replace(/^\s+/, "")}`).join("\n");
  }
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return "{}";
    return entries.map(([k, x]) => {
      const key = `${indent}${scalar(k)}:`;
      if (typeof x === "string" && x.includes("\n")) return `${key} |\n${x.replace(/\n$/, "").split("\n").map((l) => `${indent}  ${l}`).join("\n")}`;
      if (x && typeof x === "object" && Object.keys(x).length > 0) return `${key}\n${toYaml(x, indent + "  ")}`;
      return `${key} ${toYaml(x, indent + "  ")}`;
    }).join("\n");
  }
  return scalar(v);
}
