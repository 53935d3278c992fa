// Feasibility checks. Each is a few lines returning null (feasible) or a named reason; place() runs them in the
// order of FEASIBILITY_CHECKS and counts every rejection, so `galaxy plan` and `galaxy containers` can say why.
//
// The first six are static for a pass (they do not change as containers are placed or evicted, except
// max_per_host and anti-affinity, whose counts only grow): preemption considers only agents that pass them.
import type { Resources } from "../core/domain.ts";
import { agentStateReason, exclusiveDeviceReason, REASON } from "../core/reasons.ts";
import type { Demand } from "./demand.ts";
import type { WorkingAgent } from "./working-agent.ts";

export type FeasibilityCheck = (d: Demand, a: WorkingAgent) => string | null;

export const agentStateCheck: FeasibilityCheck = (_d, a) => (a.base.state === "alive" ? null : agentStateReason(a.base.state));

export const poolCheck: FeasibilityCheck = (d, a) => (d.group.pools.includes(a.base.pool) ? null : REASON.pool);

export const labelsCheck: FeasibilityCheck = (d, a) => {
  for (const l of d.group.labels) if (!a.base.labels.includes(l)) return REASON.labels;
  return null;
};

export const blacklistCheck: FeasibilityCheck = (d, a) => (d.group.blacklist.includes(a.endpoint) ? REASON.blacklist : null);

export const maxPerHostCheck: FeasibilityCheck = (d, a) =>
  d.group.maxPerHost > 0 && a.countOf(d.id) >= d.group.maxPerHost ? REASON.maxPerHost : null;

/** Anti-affinity between jobs: where a rule applies, its counted containers plus this one stay within its limit. */
export const antiAffinityCheck: FeasibilityCheck = (d, a) => {
  const rules = d.antiAffinity;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (r.holders.length > 0 && !r.holders.some((h) => a.countOf(h) > 0)) continue;
    let n = r.self;
    for (const g of r.counted) n += a.countOf(g);
    if (n > r.maxPerHost) return REASON.antiAffinity;
  }
  return null;
};

export const batchLimitCheck: FeasibilityCheck = (d, a) =>
  d.batch && a.base.maxBatch > 0 && a.batchCount >= a.base.maxBatch ? REASON.batchLimit : null;

/** Free amount for the demand: best-effort containers may also use assigned-but-idle cpu and memory ("deep"). */
export function available(d: Demand, a: WorkingAgent, r: keyof Resources): number {
  const free = a.free(r);
  if (!d.deep || a.base.pressure || (r !== "millicores" && r !== "memory")) return free;
  return free + a.base.idle[r];
}

/** A profiled group is checked at every point of its profile (profile.ts); the others against the free amount. */
export const cpuCheck: FeasibilityCheck = (d, a) => {
  if (d.profile) return a.profileFits(d.profile, "cpu") ? null : REASON.noCpu;
  return available(d, a, "millicores") >= d.shared.millicores ? null : REASON.noCpu;
};
/** Memory includes tmpfs volumes (they are in the group's resources). */
export const memoryCheck: FeasibilityCheck = (d, a) => {
  if (d.profile) return a.profileFits(d.profile, "memory") ? null : REASON.noMemory;
  return available(d, a, "memory") >= d.shared.memory ? null : REASON.noMemory;
};
export const diskCheck: FeasibilityCheck = (d, a) => (a.free("disk") >= d.shared.disk ? null : REASON.noDisk);
export const ssdCheck: FeasibilityCheck = (d, a) => (a.free("ssd") >= d.shared.ssd ? null : REASON.noSsd);

/** Exclusive volumes: a free device of the medium for each, and room for the devices' full size. */
export const exclusiveVolumesCheck: FeasibilityCheck = (d, a) => {
  if (d.exclusive.length === 0) return null;
  const devices = a.chooseDevices(d);
  if (devices === null) {
    const medium = d.exclusive.find((v) => !a.chooseDevices({ ...d, exclusive: [v] }))?.medium ?? d.exclusive[0]!.medium;
    return exclusiveDeviceReason(medium);
  }
  let disk = d.shared.disk;
  let ssd = d.shared.ssd;
  for (const dev of devices) dev.medium === "ssd" ? (ssd += dev.size) : (disk += dev.size);
  if (a.free("disk") < disk) return REASON.noDisk;
  return a.free("ssd") < ssd ? REASON.noSsd : null;
};

/** Fixed ports must be free; dynamic ones come from the agent's range. */
export const portsCheck: FeasibilityCheck = (d, a) => {
  for (const p of d.fixedPorts) if (a.portUsed(p)) return REASON.ports;
  return d.dynamicPorts > 0 && d.dynamicPorts > a.dynamicPortsFree() ? REASON.ports : null;
};

/** Checks whose answer preemption cannot change. */
export const STATIC_CHECKS: readonly FeasibilityCheck[] = [agentStateCheck, poolCheck, labelsCheck, blacklistCheck, maxPerHostCheck, antiAffinityCheck];

/** The stack, cheapest and most selective first. */
export const FEASIBILITY_CHECKS: readonly FeasibilityCheck[] = [
  ...STATIC_CHECKS,
  batchLimitCheck,
  cpuCheck,
  memoryCheck,
  diskCheck,
  ssdCheck,
  exclusiveVolumesCheck,
  portsCheck,
];

/**
 * The checks as one function of direct calls, `c0(d, a) ?? c1(d, a) ?? …`, generated from the list: the first
 * rejection, or null. The hottest function of a big pass, and a loop over an array of functions is a call the JIT
 * cannot inline; the checks are constants of the generated closure, which it can. One list, no copy to keep equal.
 */
export function chainChecks(checks: readonly FeasibilityCheck[]): FeasibilityCheck {
  const names = checks.map((_, i) => `c${i}`);
  const calls = names.map((n) => `${n}(d, a)`).join(" ?? ") || "null";
  return new Function(...names, `return function chainedChecks(d, a) { return ${calls}; };`)(...checks) as FeasibilityCheck;
}

/** Runs the stack (FEASIBILITY_CHECKS, in its order); returns the first rejection or null. */
export const checkFeasible: FeasibilityCheck = chainChecks(FEASIBILITY_CHECKS);

/** Runs STATIC_CHECKS: a rejection here is one preemption cannot help. */
export const checkStatic: FeasibilityCheck = chainChecks(STATIC_CHECKS);

/** "12 agents: no memory, 3: max_per_host" — the most common reason first. */
export function formatReasons(reasons: Record<string, number>): string {
  const rows = Object.entries(reasons).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
  if (rows.length === 0) return "";
  return rows.map(([r, n], i) => (i === 0 ? `${n} agent${n === 1 ? "" : "s"}: ${r}` : `${n}: ${r}`)).join(", ");
}
