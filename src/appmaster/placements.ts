// AppMaster's last hints, kept on disk: where each pod ran as AppMaster last heard. After a failover of both
// masters while an agent is silent (Fuxi case 15), the new ResMan learns from these where that agent's containers
// are, and holds them there instead of starting second copies. Pure functions; the shell persists the changes.
import type { Hint, PortBinding } from "../rpc/types.ts";
import type { PodRec } from "./pods.ts";

export interface PlacementRec {
  jobId: string;
  agent: string;
  ports: PortBinding[];
}

/** The changes to make to the saved placements after the pod table moved on. */
export function placementChanges(
  saved: ReadonlyMap<string, PlacementRec>,
  pods: Iterable<PodRec>,
  jobs: ReadonlySet<string>,
  /** Also drop the saved placements of jobs gone (a pass over every saved one). */
  sweep = true,
): { put: [string, PlacementRec][]; del: string[] } {
  const put: [string, PlacementRec][] = [];
  const del: string[] = [];
  const seen = new Set<string>();
  for (const p of pods) {
    seen.add(p.id);
    const old = saved.get(p.id);
    if (p.agent) {
      if (!old || old.agent !== p.agent || JSON.stringify(old.ports) !== JSON.stringify(p.ports)) put.push([p.id, { jobId: p.jobId, agent: p.agent, ports: p.ports }]);
    } else if (old && p.state === "pending") del.push(p.id); // placed nowhere now (rescheduled, revoked)
  }
  if (sweep) for (const [id, rec] of saved) if (!jobs.has(rec.jobId) && !seen.has(id)) del.push(id);
  return { put, del };
}

/** Hints for ResMan: the pod table where it knows an agent, else the saved placement. */
export function lastHints(saved: ReadonlyMap<string, PlacementRec>, pods: Iterable<PodRec>, jobs: ReadonlySet<string>): Hint[] {
  const where = new Map(saved);
  for (const p of pods) if (p.agent) where.set(p.id, { jobId: p.jobId, agent: p.agent, ports: p.ports });
  const by = new Map<string, Hint>();
  for (const [id, w] of where) {
    if (!jobs.has(w.jobId)) continue;
    const h = by.get(w.jobId) ?? { groupId: w.jobId, containers: [] };
    h.containers.push({ id, groupId: w.jobId, agent: w.agent, ports: w.ports } as Hint["containers"][number]);
    by.set(w.jobId, h);
  }
  return [...by.values()];
}
