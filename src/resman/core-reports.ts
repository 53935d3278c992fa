// How ResManCore takes an agent's report of what it runs (heartbeat, full or a delta): placement is made to agree
// with it (adopt a container pending here but running there, update one that is where placement says, hold an
// orphan while recovering, mark gone what a full report no longer has), and the agent's idle share is summed.
import type { AgentInfo, ContainerReport } from "../rpc/types.ts";
import { emptyResources } from "../core/domain.ts";
import type { CoreState } from "./core-state.ts";
import { dropUnreported, noteLeavingReport } from "./core-moves.ts";
import { adoptedCharge } from "./core-schedule.ts";
import { ContainerRec, indexOf, type AgentRec } from "./state.ts";

/** Makes placement agree with what the agent says it runs; sums the idle share of its guaranteed containers. */
export function reconcileReports(core: CoreState, rec: AgentRec, reports: ContainerReport[], now: number, full: boolean): void {
  const idle = emptyResources();
  if (full) dropUnreported(core, rec, reports);
  for (const r of reports) {
    if (noteLeavingReport(core, rec, r)) continue; // the old copy of a container moved make-before-break
    const c = core.placement.get(r.containerId);
    if (c && c.agent === rec.endpoint) {
      if (c.grantedAt === 0) c.grantedAt = r.cap.grantedAt; // held on AppMaster's word: the agent knows its grant
      updateFromReport(core, c, r);
      if (full) addIdle(idle, c, core.groups.get(c.group)?.spec.jobType);
    } else if (c && !c.agent && c.evictedFrom !== rec.endpoint) {
      // Pending here but running there (after a failover, or a revoked batch container on a returned agent):
      // adopt it rather than start a second copy. One taken off this agent on purpose is left to be destroyed.
      core.placement.assign(c, rec.endpoint, r.cap.ports, adoptedCharge(core, c, rec, r.cap.bindings), r.cap.bindings);
      c.grantedAt = r.cap.grantedAt; // the agent's grant, so its cap set does not look like a new one
      updateFromReport(core, c, r);
      core.bumpCaps(rec);
    } else if (!c) {
      maybeAdopt(core, rec, r, now);
    }
    // else: placed on another agent, or evicted from this one; not in its cap set, so the agent destroys its copy.
  }
  if (!full) {
    // a delta: the unchanged containers' idle share still counts (their last report is in placement)
    for (const c of core.placement.ofAgent(rec.endpoint)) addIdle(idle, c, core.groups.get(c.group)?.spec.jobType);
  } else {
    markGone(core, rec, reports);
  }
  rec.idle = idle;
}

/**
 * A full report is everything the agent holds: a container placed on it that it reported before (running, ended,
 * lost with it) and no longer has is gone. It is back to `allocated` (its cap is still the agent's, which builds it
 * again), so that no hint says it runs.
 */
function markGone(core: CoreState, rec: AgentRec, reports: ContainerReport[]): void {
  let held: Set<string> | null = null;
  for (const c of core.placement.ofAgent(rec.endpoint)) {
    if (c.state !== "running" && c.state !== "exited" && c.state !== "failed" && c.state !== "lost") continue;
    held ??= new Set(reports.map((r) => r.containerId));
    if (held.has(c.id)) continue;
    c.state = "allocated";
    c.pid = 0;
    c.message = "its agent no longer has it; it is made again";
    core.placement.touch(c.group);
  }
}

function maybeAdopt(core: CoreState, rec: AgentRec, r: ContainerReport, now: number): void {
  const g = core.groups.get(r.groupId);
  const index = indexOf(r.containerId);
  const known = g && index >= 0 && index < g.spec.replica && !(g.spec.released ?? []).includes(r.containerId);
  if (!known && !core.recovering) return; // not requested: left out of the cap set, so the agent destroys it
  const c = newContainer(r.containerId, r.groupId, index, g ? g.spec.resources : r.cap.resources);
  c.grantedAt = r.cap.grantedAt || now;
  c.orphan = !known;
  core.placement.add(c);
  core.placement.assign(c, rec.endpoint, r.cap.ports, adoptedCharge(core, c, rec, r.cap.bindings), r.cap.bindings);
  updateFromReport(core, c, r);
  core.bumpCaps(rec);
}

/** A report's news: a change hints show bumps the group's version now, a usage-only one at a bounded rate. */
function updateFromReport(core: CoreState, c: ContainerRec, r: ContainerReport): void {
  const change = c.applyReport(r);
  if (change === "hint") core.placement.touch(c.group);
  else if (change === "usage") core.hintVersions.usageChanged(c.group);
}

export function newContainer(id: string, group: string, index: number, resources: ContainerRec["resources"]): ContainerRec {
  return new ContainerRec(id, group, index, resources);
}

/** A guaranteed container that reported its usage lends what it does not use to best-effort ones. */
function addIdle(idle: ContainerRec["resources"], c: ContainerRec, type: string | undefined): void {
  if (type === "best-effort" || c.state !== "running" || !c.usage || !c.usage.at) return;
  idle.millicores += Math.max(0, c.charged.millicores - c.usage.millicores);
  idle.memory += Math.max(0, c.charged.memory - c.usage.memoryRss);
}

/** Whether an agent's self-description changed (every heartbeat carries it; compared field by field, not as JSON). */
export function sameAgentInfo(a: AgentInfo, b: AgentInfo): boolean {
  const t = a.total;
  const u = b.total;
  return a.endpoint === b.endpoint && a.pool === b.pool && a.portMin === b.portMin && a.portMax === b.portMax &&
    a.isolation === b.isolation && a.hostname === b.hostname && a.version === b.version && a.startedAt === b.startedAt &&
    a.maxBatch === b.maxBatch && t.millicores === u.millicores && t.memory === u.memory && t.disk === u.disk && t.ssd === u.ssd &&
    a.labels.length === b.labels.length && a.labels.every((l, i) => l === b.labels[i]) &&
    a.volumes.length === b.volumes.length &&
    a.volumes.every((v, i) => v.medium === b.volumes[i]!.medium && v.path === b.volumes[i]!.path && v.size === b.volumes[i]!.size) &&
    sameList(a.cannotEnforce ?? [], b.cannotEnforce ?? [], (x, y) => x === y) &&
    sameList(a.data ?? [], b.data ?? [], (x, y) => x.containerId === y.containerId && x.path === y.path && x.device === y.device && x.size === y.size);
}

const sameList = <T>(a: readonly T[], b: readonly T[], eq: (x: T, y: T) => boolean): boolean =>
  a.length === b.length && a.every((x, i) => eq(x, b[i]!));
