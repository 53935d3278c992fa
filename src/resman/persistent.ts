// Persistent volumes (issue 21), ResMan's side. Agents report the persistent data on their devices
// (AgentInfo.data, persisted with the agent's record, so a new leader knows it at once); from those reports:
//
//   homes:  a pending container whose data an agent holds goes there first, onto the same devices (SchedGroup.home;
//           `sticky: true` on a volume: only there, it waits while that agent cannot take it)
//   drops:  data whose group ResMan no longer has (the job was removed) is deleted by its agent once the data's
//           retention has passed since ResMan first saw it orphaned (heartbeat reply drop_data); never while ResMan
//           recovers, never for a group it still has (scaled-down pods keep their data until the job is removed)
import type { GroupSpec } from "../rpc/types.ts";
import type { SchedHome } from "../scheduler/index.ts";
import type { CoreState } from "./core-state.ts";
import type { AgentRec } from "./state.ts";

export const hasPersistent = (s: GroupSpec | undefined): boolean => !!s && s.volumes.some((v) => v.persistent && v.medium !== "tmpfs");

/** Where each container of these groups has its data: the agent reporting it, and the device of each volume. */
export function homes(core: CoreState, groups: ReadonlySet<string>): Map<string, SchedHome> {
  const out = new Map<string, { agent: string; devices: Record<string, string>; sticky: boolean }>();
  if (groups.size === 0) return out;
  for (const a of core.agents.values()) {
    for (const d of a.info.data ?? []) {
      if (!groups.has(d.groupId)) continue;
      const spec = core.groups.get(d.groupId)!.spec;
      const v = spec.volumes.find((x) => x.path === d.path && x.persistent);
      if (!v) continue; // a volume the job no longer has: not a reason to go anywhere
      let h = out.get(d.containerId);
      if (h && h.agent !== a.endpoint) continue; // data on two agents (a copy left behind): the first one found wins
      if (!h) out.set(d.containerId, (h = { agent: a.endpoint, devices: {}, sticky: false }));
      if (d.device) h.devices[d.path] = d.device;
      h.sticky ||= v.sticky;
    }
  }
  return out;
}

const orphans = new WeakMap<CoreState, Map<string, number>>();

/**
 * The containers whose data this agent may delete now: their group is gone, and the data's retention has passed
 * since this leader first saw it so (a new leader counts the retention again: data is kept longer, never shorter).
 */
export function dataToDrop(core: CoreState, a: AgentRec, now: number): string[] {
  const data = a.info.data ?? [];
  if (data.length === 0 || core.recovering) return [];
  let seen = orphans.get(core);
  if (!seen) orphans.set(core, (seen = new Map()));
  const out = new Set<string>();
  for (const d of data) {
    const key = `${a.endpoint}|${d.containerId}|${d.path}`;
    if (core.groups.has(d.groupId)) {
      seen.delete(key);
      continue;
    }
    const since = seen.get(key) ?? now;
    seen.set(key, since);
    if (now - since >= Number(d.retentionMs)) out.add(d.containerId);
  }
  return [...out].sort();
}
