// Builders for the scheduler's tests (plain data with defaults; override what a test is about). Groups bin-pack
// unless a test says otherwise (the scheduler's own default is DEFAULT_SCORE).
import type { JobType, Resources } from "../core/domain.ts";
import type { SchedAgent, SchedContainer, SchedGroup } from "./types.ts";

export const G = 1024 ** 3;
export const res = (millicores: number, memory: number, disk = 0, ssd = 0): Resources => ({ millicores, memory, disk, ssd });
export const ZERO: Resources = res(0, 0);

export function agent(endpoint: string, over: Partial<SchedAgent> = {}): SchedAgent {
  return {
    endpoint, pool: "default", labels: [], state: "alive",
    total: res(4000, 8 * G, 100 * G), assigned: ZERO,
    usedPorts: new Set(), portMin: 20000, portMax: 20099, groupCount: new Map(), batchCount: 0, maxBatch: 0,
    devices: [], takenDevices: new Set(), idle: ZERO, pressure: false, containers: [],
    ...over,
  };
}

export function group(id: string, n: number, over: Partial<SchedGroup> = {}): SchedGroup {
  return {
    id, jobType: "service", resources: res(1000, 1 * G), ports: [], volumes: [],
    pools: ["default"], labels: [], maxPerHost: 0, spread: false, score: "binpack", blacklist: [],
    pending: Array.from({ length: n }, (_, i) => `${id}.${i}`), ...over,
  };
}

export function container(id: string, jobType: JobType, charged: Resources, over: Partial<SchedContainer> = {}): SchedContainer {
  return { id, groupId: id.slice(0, id.lastIndexOf(".")), jobType, charged, ports: [], devices: [], ...over };
}

/** An agent already running the given containers (assigned, ports, counts and devices summed from them). */
export function agentWith(endpoint: string, containers: SchedContainer[], over: Partial<SchedAgent> = {}): SchedAgent {
  const assigned = res(0, 0);
  const groupCount = new Map<string, number>();
  const usedPorts = new Set<number>();
  const takenDevices = new Set<string>();
  let batchCount = 0;
  for (const c of containers) {
    assigned.millicores += c.charged.millicores;
    assigned.memory += c.charged.memory;
    assigned.disk += c.charged.disk;
    assigned.ssd += c.charged.ssd;
    groupCount.set(c.groupId, (groupCount.get(c.groupId) ?? 0) + 1);
    for (const p of c.ports) usedPorts.add(p);
    for (const d of c.devices) takenDevices.add(d);
    if (c.jobType === "batch" || c.jobType === "best-effort") batchCount++;
  }
  return agent(endpoint, { assigned, groupCount, usedPorts, takenDevices, batchCount, containers, ...over });
}
