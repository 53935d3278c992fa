// Feasibility checks. Each is a few lines returning null (feasible) or a named reason; place() runs them in the
// order of FEASIBILITY_CHECKS and counts every rejection, so `galaxy plan` and `galaxy containers` can say why.
//
// The first six are static for a pass (they do not change as containers are placed or evicted, except
// max_per_host and anti-affinity, whose counts only grow): preemption considers only agents that pass them.
import { formatSize } from "../core/units.ts";
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

/** A container with a home (its persistent data) goes only there; the placer drops a non-sticky home when it fails. */
export const homeCheck: FeasibilityCheck = (d, a) => {
  const home = d.group.home;
  return !home || home.agent === a.endpoint ? null : `its data is on ${home.agent}`;
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

/**
 * Disk and ssd volumes, per device: a device for each (exclusive: one holding no other volume; shared: one with room
 * for its size), and room on the agent for the exclusive devices' full size. The reason names the volume, and for a
 * shared one the device with most room ("no disk device has 30G free for /data (most: /srv/d1, 20G)").
 */
export const devicesCheck: FeasibilityCheck = (d, a) => {
  if (d.onDevices.length === 0) return null;
  const devices = a.chooseDevices(d);
  if (devices === null) return deviceShortfall(d, a);
  let disk = d.shared.disk;
  let ssd = d.shared.ssd;
  for (let i = 0; i < devices.length; i++) {
    const dev = devices[i];
    if (!dev || !d.onDevices[i]!.exclusive) continue;
    dev.medium === "ssd" ? (ssd += dev.size) : (disk += dev.size);
  }
  if (a.free("disk") < disk) return REASON.noDisk;
  return a.free("ssd") < ssd ? REASON.noSsd : null;
};
/** The former name (exclusive volumes were the only ones placed on devices). */
export const exclusiveVolumesCheck = devicesCheck;

/** Why the demand's volumes find no devices here: the first volume that does not fit, with the device nearest to it. */
function deviceShortfall(d: Demand, a: WorkingAgent): string {
  for (let n = 1; n <= d.onDevices.length; n++) {
    if (a.chooseDevices({ ...d, onDevices: d.onDevices.slice(0, n) }) !== null) continue;
    const v = d.onDevices[n - 1]!;
    if (v.exclusive) return exclusiveDeviceReason(v.medium);
    const chosen = a.chooseDevices({ ...d, onDevices: d.onDevices.slice(0, n - 1) }) ?? [];
    let most: { path: string; room: number } | null = null;
    for (const dev of a.base.devices) {
      if (dev.medium !== v.medium) continue;
      const room = Math.max(0, a.roomLeft(dev, chosen, d));
      if (!most || room > most.room) most = { path: dev.path, room };
    }
    const near = most ? `${DEVICE_DETAIL}${most.path}, ${formatSize(most.room)})` : "";
    return `no ${v.medium} device has ${formatSize(v.size)} free for ${v.path}${near}`;
  }
  return `no ${d.onDevices[0]!.medium} device`;
}

/** Fixed ports must be free; dynamic ones come from the agent's range. */
export const portsCheck: FeasibilityCheck = (d, a) => {
  for (const p of d.fixedPorts) if (a.portUsed(p)) return REASON.ports;
  return d.dynamicPorts > 0 && d.dynamicPorts > a.dynamicPortsFree() ? REASON.ports : null;
};

/** Checks whose answer preemption cannot change. */
export const STATIC_CHECKS: readonly FeasibilityCheck[] = [agentStateCheck, poolCheck, labelsCheck, blacklistCheck, maxPerHostCheck, antiAffinityCheck, homeCheck];

/** The stack, cheapest and most selective first. */
export const FEASIBILITY_CHECKS: readonly FeasibilityCheck[] = [
  ...STATIC_CHECKS,
  batchLimitCheck,
  cpuCheck,
  memoryCheck,
  devicesCheck,
  diskCheck,
  ssdCheck,
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

const DEVICE_DETAIL = " (most: ";
/** Reasons naming an agent's device (they differ per agent) kept apart; past these, counted without the device. */
export const MAX_DEVICE_DETAILS = 3;

/**
 * Counts one agent's rejection. A reason naming a device ("… (most: /srv/d1, 5G)") is its own key for the first
 * MAX_DEVICE_DETAILS such keys; later ones count under the reason without the device, so that a big fleet's reasons
 * (hints, `galaxy plan`) stay a few lines.
 */
export function countReason(reasons: Record<string, number>, reason: string): void {
  let key = reason;
  const at = reason.indexOf(DEVICE_DETAIL);
  if (at >= 0 && reasons[reason] === undefined) {
    let details = 0;
    for (const k in reasons) if (k.includes(DEVICE_DETAIL)) details++;
    if (details >= MAX_DEVICE_DETAILS) key = reason.slice(0, at);
  }
  reasons[key] = (reasons[key] ?? 0) + 1;
}

/** "12 agents: no memory, 3: max_per_host" — the most common reason first. */
export function formatReasons(reasons: Record<string, number>): string {
  const rows = Object.entries(reasons).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
  if (rows.length === 0) return "";
  return rows.map(([r, n], i) => (i === 0 ? `${n} agent${n === 1 ? "" : "s"}: ${r}` : `${n}: ${r}`)).join(", ");
}
