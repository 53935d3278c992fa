// Read-only views of ResMan's state for hints, listings and status (no decisions, no writes).
import type { AgentStatus, ContainerInfo, GroupStatus, Hint, Resources } from "../rpc/types.ts";
import type { ResManCore } from "./core.ts";
import { addRes } from "./placement.ts";
import type { AgentRec, ContainerRec } from "./state.ts";

export function containerInfo(core: ResManCore, c: ContainerRec): ContainerInfo {
  const g = core.groups.get(c.group);
  return {
    id: c.id, groupId: c.group, agent: c.agent, state: c.state, ports: c.ports, volumes: [],
    lastError: c.agent ? "" : (g?.lastError ?? ""), pid: c.pid, startedAt: c.startedAt,
    usage: c.usage ?? { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 },
    exitCode: c.exitCode, message: c.message, resources: c.resources, jobType: g?.spec.jobType ?? "",
  };
}

export function hints(core: ResManCore, groups: string[] | null): Hint[] {
  const ids = groups ?? [...core.placement.byGroup.keys()];
  return ids.map((id) => ({
    groupId: id,
    containers: core.placement.ofGroup(id).sort((a, b) => a.index - b.index).map((c) => containerInfo(core, c)),
  }));
}

export function agentState(a: AgentRec): AgentStatus["state"] {
  return a.dead ? "dead" : a.admin === "active" ? "alive" : a.admin;
}

export function agentStatus(core: ResManCore, a: AgentRec): AgentStatus {
  const load = core.placement.load(a.endpoint);
  return {
    info: { ...a.info, pool: a.pool, labels: a.labels }, state: agentState(a), lastHeartbeat: a.lastHeartbeat,
    assigned: { ...load.assigned }, used: a.usage ?? { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 },
    containers: load.containers.size,
  };
}

export function groupStatus(core: ResManCore, id: string): GroupStatus {
  const g = core.mustGroup(id);
  const cs = core.placement.ofGroup(id);
  return {
    spec: g.spec, placed: cs.filter((c) => c.agent).length, running: cs.filter((c) => c.state === "running").length,
    pending: cs.filter((c) => !c.agent).length, lastError: g.lastError,
  };
}

export function poolUsage(core: ResManCore) {
  const pools = new Map<string, { total: Resources; assigned: Resources; agents: number }>();
  for (const p of core.pools) pools.set(p, { total: zero(), assigned: zero(), agents: 0 });
  for (const a of core.agents.values()) {
    const p = pools.get(a.pool) ?? { total: zero(), assigned: zero(), agents: 0 };
    pools.set(a.pool, p);
    if (a.dead) continue;
    p.agents++;
    addRes(p.total, a.info.total, 1);
    addRes(p.assigned, core.placement.load(a.endpoint).assigned, 1);
  }
  return [...pools].map(([name, p]) => ({ name, ...p, used: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 } }));
}

const zero = (): Resources => ({ millicores: 0, memory: 0, disk: 0, ssd: 0 });
