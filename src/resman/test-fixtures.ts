// Builders for ResMan core tests: agents' heartbeats, groups, reports, and a small cluster past its start-up.
import type { AgentInfo, ContainerReport, GroupSpec, HeartbeatRequest } from "../rpc/types.ts";
import { ResManCore } from "./core.ts";
import { DEFAULT_CONFIG, type ResManConfig } from "./state.ts";
import { UserDirectory } from "./users.ts";

export const G = 1024 ** 3;
export const cfg: ResManConfig = { ...DEFAULT_CONFIG, agentTimeoutMs: 10_000, recoveryMs: 5_000, safeModeFraction: 0 };
const noUsage = { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 };

export const info = (endpoint: string, over: Partial<AgentInfo> = {}): AgentInfo => ({
  endpoint, pool: "default", labels: [], total: { millicores: 4000, memory: 8 * G, disk: 0, ssd: 0 }, portMin: 20000,
  portMax: 20999, isolation: "none", hostname: "h", version: "t", startedAt: 0, maxBatch: 0, volumes: [], data: [], cannotEnforce: [], ...over,
});

export const group = (id: string, replica: number, jobType = "service", over: Partial<GroupSpec> = {}): GroupSpec => ({
  id, user: "", jobType, replica, resources: { millicores: 1000, memory: G, disk: 0, ssd: 0 }, ports: [{ name: "http", port: 0 }],
  volumes: [], pools: ["default"], labels: [], maxPerHost: 0, spread: true, blacklist: [], version: 1, step: 1, env: {},
  name: "", antiAffinity: [], score: "", released: [], profileCpu: [], profileMemory: [],
  container: { cpuExcess: false, memoryExcess: false, memoryCeiling: 0, pidsLimit: 0, ioWeight: 0, io: { weight: 0, readBps: 0, writeBps: 0, readIops: 0, writeIops: 0 }, stopTimeoutMs: 0, workspaceSize: 0 },
  ...over,
});

export function hb(endpoint: string, containers: ContainerReport[], epochSeen = 0, capsEpoch = 0, capsVersion = 0, over: Partial<AgentInfo> = {}): HeartbeatRequest {
  return { agent: info(endpoint, over), epochSeen, capsEpoch, capsVersion, full: true, containers, usage: noUsage, pressure: false };
}

export const running = (c: { containerId: string; groupId: string; ports: { name: string; port: number }[] }, pid = 100, state = "running"): ContainerReport => ({
  containerId: c.containerId, groupId: c.groupId, state, pid, startedAt: 1, message: "", exitCode: 0, usage: noUsage,
  cap: {
    containerId: c.containerId, groupId: c.groupId, jobType: "", resources: { millicores: 1000, memory: G, disk: 0, ssd: 0 }, ports: c.ports,
    volumes: [], user: "", epoch: 1, grantedAt: 1, env: {}, bindings: [],
    container: { cpuExcess: false, memoryExcess: false, memoryCeiling: 0, pidsLimit: 0, ioWeight: 0, io: { weight: 0, readBps: 0, writeBps: 0, readIops: 0, writeIops: 0 }, stopTimeoutMs: 0, workspaceSize: 0 },
  },
});

/** A cluster of the named agents, registered, recovery over. */
export function cluster(agents: string[] = ["a", "b"], over: Partial<ResManConfig> = {}, users?: UserDirectory): ResManCore {
  const core = new ResManCore({ ...cfg, ...over }, 1, { agents: [], groups: [], pools: ["default"] }, 0, users);
  for (const a of agents) core.heartbeat(hb(a, []), 0);
  core.tick(1);
  return core;
}

/** Every agent reports what placement says it runs, in the given state: the cluster's agents at work. */
export function reportAll(core: ResManCore, now: number, state = "running"): void {
  for (const a of core.agents.values()) {
    if (a.dead) continue;
    const reports = core.placement.ofAgent(a.endpoint).map((c) => running({ containerId: c.id, groupId: c.group, ports: c.ports }, 100, state));
    core.heartbeat(hb(a.endpoint, reports, 1, 1, a.capsVersion), now);
  }
}

export const where = (core: ResManCore, group: string): Record<string, string> =>
  Object.fromEntries(core.placement.ofGroup(group).sort((x, y) => x.index - y.index).map((c) => [c.id, c.agent]));
