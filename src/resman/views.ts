// Read-only views of ResMan's state for hints, listings and status (no decisions, no writes).
import type { AgentStatus, ContainerInfo, GroupStatus, Hint, HintsReply, HintsRequest, Resources, StatusReply, Usage } from "../rpc/types.ts";
import { emptyResources } from "../rpc/types.ts";
import type { ResManCore } from "./core.ts";
import { drainStatus } from "./core-moves.ts";
import { addRes, type AgentLoad } from "./placement.ts";
import type { AgentRec, ContainerRec } from "./state.ts";

const noUsage = (): Usage => ({ millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 });

/** A container as AppMaster and the CLI see it (usage copied: the container's own object is updated in place). */
export function containerInfo(core: ResManCore, c: ContainerRec): ContainerInfo {
  const g = core.groups.get(c.group);
  return {
    id: c.id, groupId: c.group, agent: c.agent, state: c.state, ports: c.ports, volumes: c.bindings,
    // placed: why its agent failed it (not created, killed); pending: why it is not placed
    lastError: c.agent ? (c.state === "failed" ? c.message : "") : c.lastError || (g?.lastError ?? ""), pid: c.pid, startedAt: c.startedAt,
    usage: c.usage ? { ...c.usage } : noUsage(), exitCode: c.exitCode, message: c.message, resources: c.resources,
    jobType: g?.spec.jobType ?? "", preemptedBy: c.preemptedBy, reasons: c.agent ? {} : c.reasons, move: c.move,
    moveBlocked: c.moveBlocked, placedAt: c.agent ? c.grantedAt : 0,
  };
}

export function hints(core: ResManCore, groups: string[] | null): Hint[] {
  const ids = groups ?? core.placement.containers.groupIds();
  return ids.map((id) => ({
    groupId: id,
    containers: core.placement.ofGroup(id).sort((a, b) => a.index - b.index).map((c) => containerInfo(core, c)),
  }));
}

/**
 * GetHints: named groups; or, with `all`, every group (full) or only those changed after `since` of this epoch, each
 * whole, with the changed groups that no longer have containers as removed (see hint-versions.ts).
 */
export function hintsReply(core: ResManCore, req: Pick<HintsRequest, "all" | "groups" | "since" | "sinceEpoch">): HintsReply {
  const v = core.hintVersions;
  const base = { epoch: core.epoch, recovering: core.recovering, version: v.version };
  if (!req.all) {
    v.servedAll(); // its version is out: a later change must get a newer one
    return { ...base, hints: hints(core, req.groups), full: false, removedGroups: [] };
  }
  const changed = req.sinceEpoch === core.epoch ? v.changedSince(req.since) : null;
  if (changed === null) {
    v.servedAll();
    return { ...base, hints: hints(core, null), full: true, removedGroups: [] };
  }
  const live = changed.filter((g) => core.placement.containers.sizeOf(g) > 0);
  return { ...base, hints: hints(core, live), full: false, removedGroups: changed.filter((g) => core.placement.containers.sizeOf(g) === 0) };
}

export function agentState(a: AgentRec): AgentStatus["state"] {
  return a.dead ? "dead" : a.admin === "active" ? "alive" : a.admin;
}

/** Host usage as reported, or the sum of its containers' usage when the agent sends none. */
export function agentUsed(core: ResManCore, a: AgentRec): Usage {
  if (a.usage && a.usage.at > 0) return a.usage;
  const u = noUsage();
  // read in place (no copy of the list): Status sums this over every agent
  for (const c of core.placement.load(a.endpoint).containers) {
    if (!c.usage) continue;
    u.millicores += c.usage.millicores;
    u.memoryRss += c.usage.memoryRss;
    u.memoryCache += c.usage.memoryCache;
    u.disk += c.usage.disk;
    u.at = Math.max(u.at, c.usage.at);
  }
  return u;
}

export function agentStatus(core: ResManCore, a: AgentRec): AgentStatus {
  const load = core.placement.load(a.endpoint);
  return {
    info: { ...a.info, pool: a.pool, labels: a.labels }, state: agentState(a), lastHeartbeat: a.lastHeartbeat,
    assigned: { ...load.assigned }, used: agentUsed(core, a), containers: load.containers.length, pressure: a.pressure,
    devicesTaken: [...load.devices].sort(), drain: drainStatus(core, a), deviceUse: deviceUse(a, load),
  };
}

/** Per device: the bytes its shared volumes take (or the whole device, for the container holding it exclusively). */
export function deviceUse(a: AgentRec, load: AgentLoad): AgentStatus["deviceUse"] {
  const holders = new Map<string, string>();
  const count = new Map<string, number>();
  for (const c of load.containers) {
    for (const b of c.bindings) {
      if (!b.shared) holders.set(b.hostPath, c.id);
      else count.set(b.hostPath, (count.get(b.hostPath) ?? 0) + 1);
    }
  }
  return a.info.volumes.map((d) => ({
    path: d.path, medium: d.medium, size: d.size, free: d.free ?? 0, holder: holders.get(d.path) ?? "",
    allocated: holders.has(d.path) ? d.size : (load.deviceUsed.get(d.path) ?? 0), volumes: count.get(d.path) ?? 0,
  }));
}

export function groupStatus(core: ResManCore, id: string): GroupStatus {
  const g = core.mustGroup(id);
  const cs = core.placement.ofGroup(id);
  const waiting = cs.filter((c) => !c.agent);
  return {
    spec: g.spec, placed: cs.length - waiting.length, running: cs.filter((c) => c.state === "running").length,
    pending: waiting.length, lastError: waiting.length ? g.lastError : "", reasons: waiting[0]?.reasons ?? {}, createdAt: g.createdAt,
  };
}

export function poolUsage(core: ResManCore): StatusReply["pools"] {
  const pools = new Map<string, { total: Resources; assigned: Resources; used: Usage; agents: number }>();
  const entry = (p: string) => {
    let e = pools.get(p);
    if (!e) pools.set(p, (e = { total: emptyResources(), assigned: emptyResources(), used: noUsage(), agents: 0 }));
    return e;
  };
  for (const p of core.pools) entry(p);
  for (const a of core.agents.values()) {
    const p = entry(a.pool);
    if (a.dead) continue;
    p.agents++;
    addRes(p.total, a.info.total, 1);
    addRes(p.assigned, core.placement.load(a.endpoint).assigned, 1);
    const u = agentUsed(core, a);
    p.used.millicores += u.millicores;
    p.used.memoryRss += u.memoryRss;
    p.used.memoryCache += u.memoryCache;
    p.used.disk += u.disk;
    p.used.at = Math.max(p.used.at, u.at);
  }
  return [...pools].sort((x, y) => x[0].localeCompare(y[0])).map(([name, p]) => ({ name, ...p }));
}

/** The cluster at a glance (masters are added by the shell, which reads the leader files). */
export function clusterStatus(core: ResManCore): Omit<StatusReply, "masters"> {
  let alive = 0;
  let dead = 0;
  let offline = 0;
  let draining = 0;
  let reported = 0;
  for (const a of core.agents.values()) {
    if (a.reported) reported++;
    if (a.dead) dead++;
    else if (a.admin === "active") alive++;
    else if (a.admin === "offline") offline++;
    else draining++;
  }
  const known = core.agents.size;
  const reason = core.safeMode === "manual" ? "manual" : core.safeMode === "auto" ? `waiting for agents (${reported}/${known} reported)` : "";
  return {
    agentsAlive: alive, agentsDead: dead, agentsOffline: offline, agentsDraining: draining, pools: poolUsage(core),
    containers: core.placement.containers.size, pending: core.placement.pending.size, safeMode: core.safeMode !== "off",
    safeModeReason: reason, recovering: core.recovering, agentsKnown: known, agentsReported: reported,
  };
}
