// Feasibility checks. Each is a few lines returning null (feasible) or a named reason; place() runs them in the
// order of FEASIBILITY_CHECKS and counts every rejection, so `galaxy plan` and `galaxy containers` can say why.
import type { SchedGroup } from "./types.ts";
import type { WorkingAgent } from "./working-agent.ts";

export type FeasibilityCheck = (g: SchedGroup, a: WorkingAgent) => string | null;

export const agentStateCheck: FeasibilityCheck = (_g, a) => (a.base.state === "alive" ? null : `agent ${a.base.state}`);

export const poolCheck: FeasibilityCheck = (g, a) => (g.pools.includes(a.base.pool) ? null : "pool");

export const labelsCheck: FeasibilityCheck = (g, a) => {
  for (const l of g.labels) if (!a.base.labels.includes(l)) return "labels";
  return null;
};

export const blacklistCheck: FeasibilityCheck = (g, a) => (g.blacklist.includes(a.endpoint) ? "blacklist" : null);

export const maxPerHostCheck: FeasibilityCheck = (g, a) =>
  g.maxPerHost > 0 && a.countOf(g.id) >= g.maxPerHost ? "max_per_host" : null;

export const batchLimitCheck: FeasibilityCheck = (g, a) =>
  (g.jobType === "batch" || g.jobType === "best-effort") && a.base.maxBatch > 0 && a.batchCount >= a.base.maxBatch
    ? "batch limit"
    : null;

export const cpuCheck: FeasibilityCheck = (g, a) => (a.free().millicores >= g.resources.millicores ? null : "no cpu");
export const memoryCheck: FeasibilityCheck = (g, a) => (a.free().memory >= g.resources.memory ? null : "no memory");
export const diskCheck: FeasibilityCheck = (g, a) => (a.free().disk >= g.resources.disk ? null : "no disk");
export const ssdCheck: FeasibilityCheck = (g, a) => (a.free().ssd >= g.resources.ssd ? null : "no ssd");

export const portsCheck: FeasibilityCheck = (g, a) => {
  let dynamic = 0;
  for (const p of g.ports) {
    if (p.port === 0) dynamic++;
    else if (a.portUsed(p.port)) return "ports";
  }
  return dynamic > a.dynamicPortsFree() ? "ports" : null;
};

/** The stack, cheapest and most selective first. */
export const FEASIBILITY_CHECKS: readonly FeasibilityCheck[] = [
  agentStateCheck,
  poolCheck,
  labelsCheck,
  blacklistCheck,
  maxPerHostCheck,
  batchLimitCheck,
  cpuCheck,
  memoryCheck,
  diskCheck,
  ssdCheck,
  portsCheck,
];

/** Runs the stack; returns the first rejection or null. */
export function checkFeasible(g: SchedGroup, a: WorkingAgent): string | null {
  for (const check of FEASIBILITY_CHECKS) {
    const reason = check(g, a);
    if (reason !== null) return reason;
  }
  return null;
}

/** "12 agents: no memory, 3: max_per_host" — the most common reason first. */
export function formatReasons(reasons: Record<string, number>): string {
  const rows = Object.entries(reasons).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
  if (rows.length === 0) return "";
  return rows.map(([r, n], i) => (i === 0 ? `${n} agent${n === 1 ? "" : "s"}: ${r}` : `${n}: ${r}`)).join(", ");
}
