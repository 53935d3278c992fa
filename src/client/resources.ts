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
  };
}

export const AGENT_JSON_FIELDS =
  "endpoint, state, pool, labels, containers, total {millicores, memory, disk, ssd}, assigned {…}, used {millicores, memoryRss, memoryCache, disk, at}, lastHeartbeat, pressure, hostname, isolation, portMin, portMax, maxBatch, volumes [{medium, path, size}], devicesTaken, drain (how moving its containers away stands: drained, or why it waits)";

/** The lines `galaxy agents` prints under its table: each agent whose isolation is degraded, and how (its isolation
 * names the driver, then after "; " what it cannot give: tasks as root, no pid namespace, …). */
export function degradedIsolation(agents: readonly AgentStatus[]): string[] {
  return agents.filter((a) => a.info.isolation.includes(";")).map((a) => `${a.info.endpoint}: isolation ${a.info.isolation}`);
}
