// A group prepared once per pass: everything the checks need, derived from SchedGroup so the per-agent checks do
// no allocation (shared resources without the exclusive volumes, the exclusive volumes largest first, port counts).
import { IMPORTANCE, type JobType, type Resources, type VolumeRequest } from "../core/domain.ts";
import { DEFAULT_SCORE } from "./score-kind.ts";
import type { SchedAntiAffinity, SchedGroup, SchedProfile, ScoreKind } from "./types.ts";

export interface Demand {
  readonly group: SchedGroup;
  readonly id: string;
  readonly jobType: JobType;
  readonly importance: number;
  /** batch and best-effort count against an agent's batch cap. */
  readonly batch: boolean;
  /** best-effort: may use assigned-but-idle resources. */
  readonly deep: boolean;
  /** Per container, without the exclusive volumes (those take whole devices instead). */
  readonly shared: Resources;
  /** Exclusive disk/ssd volumes, largest first. */
  readonly exclusive: readonly VolumeRequest[];
  /** Every disk/ssd volume, each placed on a device: the exclusive ones, then the shared ones, each largest first. */
  readonly onDevices: readonly VolumeRequest[];
  readonly fixedPorts: readonly number[];
  readonly dynamicPorts: number;
  /** The group's anti-affinity constraints, with whether the group counts against each (its own container adds 1). */
  readonly antiAffinity: readonly (SchedAntiAffinity & { readonly self: number })[];
  /** The group's scorer: spread when `spread` is set, else its score, else DEFAULT_SCORE. */
  readonly score: ScoreKind;
  /** Its usage profile (cpu and memory checked at every point), if any. */
  readonly profile?: SchedProfile;
}

export const isBatchType = (t: string): boolean => t === "batch" || t === "best-effort";

export function prepare(g: SchedGroup): Demand {
  const shared = { ...g.resources };
  const exclusive: VolumeRequest[] = [];
  const sharedVolumes: VolumeRequest[] = [];
  for (const v of g.volumes) {
    if (v.medium !== "disk" && v.medium !== "ssd") continue;
    if (!v.exclusive) {
      sharedVolumes.push(v);
      continue;
    }
    exclusive.push(v);
    shared[v.medium] = Math.max(0, shared[v.medium] - v.size);
  }
  const bySize = (x: VolumeRequest, y: VolumeRequest) => y.size - x.size || cmp(x.path, y.path);
  exclusive.sort(bySize);
  sharedVolumes.sort(bySize);
  const fixedPorts: number[] = [];
  let dynamicPorts = 0;
  for (const p of g.ports) {
    if (p.port === 0) dynamicPorts++;
    else fixedPorts.push(p.port);
  }
  return {
    group: g, id: g.id, jobType: g.jobType, importance: IMPORTANCE[g.jobType] ?? 0, batch: isBatchType(g.jobType),
    deep: g.jobType === "best-effort", shared, exclusive, onDevices: [...exclusive, ...sharedVolumes], fixedPorts, dynamicPorts,
    antiAffinity: (g.antiAffinity ?? []).map((r) => ({ ...r, self: r.counted.includes(g.id) ? 1 : 0 })),
    score: g.spread ? "spread" : g.score || DEFAULT_SCORE,
    profile: g.profile, // always present (undefined when none): one object shape for the hot checks
  };
}

export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
