// How ResMan's numbers read in tables: cpu in cores, sizes in K M G T, "assigned/total" pairs.
import { formatSize } from "../core/units.ts";
import type { AgentStatus } from "../rpc/types.ts";

/** 1500 millicores -> "1.5"; 250 -> "0.25". */
export const cores = (millicores: number): string => String(Math.round(millicores / 10) / 100);

export const cpuPair = (used: number, total: number): string => `${cores(used)}/${cores(total)}`;
export const sizePair = (used: number, total: number): string => `${formatSize(used)}/${formatSize(total)}`;

/** The JSON shape of an agent in `galaxy agents --json` and `galaxy agent show --json`. */
export function agentJson(a: AgentStatus) {
  const { info } = a;
  return {
    endpoint: info.endpoint, state: a.state, pool: info.pool, labels: info.labels, containers: a.containers,
    total: info.total, assigned: a.assigned, used: a.used, lastHeartbeat: a.lastHeartbeat, pressure: a.pressure,
    hostname: info.hostname, isolation: info.isolation, portMin: info.portMin, portMax: info.portMax,
    maxBatch: info.maxBatch, volumes: info.volumes, devicesTaken: a.devicesTaken, drain: a.drain,
    deviceUse: a.deviceUse ?? [], data: info.data ?? [], cannotEnforce: info.cannotEnforce ?? [],
  };
}

/** One device's use: "/srv/d1 disk 15G of 20G (2 volumes), 18G free on its filesystem" or "… held by db.0 (exclusive)". */
export function deviceLine(d: NonNullable<AgentStatus["deviceUse"]>[number]): string {
  const fsFree = d.free > 0 ? `; ${formatSize(d.free)} free on its filesystem` : "";
  if (d.holder) return `${d.path} ${d.medium} ${formatSize(d.size)}: held by ${d.holder} (exclusive)${fsFree}`;
  const n = d.volumes === 1 ? "1 volume" : `${d.volumes} volumes`;
  return `${d.path} ${d.medium} ${formatSize(d.allocated)} of ${formatSize(d.size)} allocated (${n}), ${formatSize(Math.max(0, d.size - d.allocated))} left${fsFree}`;
}

/** The lines `galaxy agents` prints for devices and for what a host cannot enforce (io limits without a controller). */
export function deviceAndLimitLines(agents: readonly AgentStatus[]): string[] {
  const out: string[] = [];
  for (const a of agents) {
    for (const d of a.deviceUse ?? []) out.push(`${a.info.endpoint}: device ${deviceLine(d)}`);
    for (const c of a.info.cannotEnforce ?? []) out.push(`${a.info.endpoint}: cannot enforce ${c}`);
  }
  return out;
}

export const AGENT_JSON_FIELDS =
  "endpoint, state, pool, labels, containers, total {millicores, memory, disk, ssd}, assigned {…}, used {millicores, memoryRss, memoryCache, disk, at}, lastHeartbeat, pressure, hostname, isolation, portMin, portMax, maxBatch, volumes [{medium, path, size, free}], devicesTaken, drain (how moving its containers away stands: drained, or why it waits), deviceUse [{path, medium, size, allocated, holder, volumes, free}], data [{containerId, groupId, path, device, size, retentionMs}] (persistent volume data kept here), cannotEnforce (limits this host cannot enforce)";

/** The lines `galaxy agents` prints under its table: each agent whose isolation is degraded, and how (its isolation
 * names the driver, then after "; " what it cannot give: tasks as root, no pid namespace, …). */
export function degradedIsolation(agents: readonly AgentStatus[]): string[] {
  return agents.filter((a) => a.info.isolation.includes(";")).map((a) => `${a.info.endpoint}: isolation ${a.info.isolation}`);
}
