// Usage profiles (issue 18, item 3): a group's cpu and memory as curves over a fixed set of time points. On an agent
// the profiled containers' curves are summed per point; a profiled container fits when, at every point,
//   (the agent's charge without its profiled containers) + (their summed curve) + (the new curve) <= total
// i.e. the peak of the sums counts, not the sum of the peaks. Containers without a profile count at their peak.
import type { AgentProfile, SchedProfile } from "./types.ts";

export type ProfileDim = "cpu" | "memory";

/** A WorkingAgent's own copy, written as containers are added. */
export interface MutableProfile {
  cpu: Float64Array;
  memory: Float64Array;
  peakCpu: number;
  peakMemory: number;
}

/** True when `add` fits at every point on top of `flat` (charge without the profiled) and `sums`. */
export function fitsAtEveryPoint(flat: number, sums: Float64Array | undefined, add: Float64Array, total: number): boolean {
  const room = total - flat;
  if (sums) {
    for (let t = 0; t < add.length; t++) if (sums[t]! + add[t]! > room) return false;
  } else {
    for (let t = 0; t < add.length; t++) if (add[t]! > room) return false;
  }
  return true;
}

/** The peak over the points of sums (+ add). */
export function peakOf(sums: Float64Array | undefined, add?: Float64Array): number {
  let max = 0;
  const n = sums?.length ?? add?.length ?? 0;
  for (let t = 0; t < n; t++) max = Math.max(max, (sums ? sums[t]! : 0) + (add ? add[t]! : 0));
  return max;
}

/**
 * A copy of an agent's profile (or a fresh one; `own`: the caller's own copy, changed in place) with one container's
 * curves and peaks added (sign 1) or taken off (sign -1: evicted).
 */
export function withProfile(p: AgentProfile | MutableProfile | null | undefined, g: SchedProfile, peakCpu: number, peakMemory: number, own: boolean, sign: 1 | -1 = 1): MutableProfile {
  const out: MutableProfile = own && p
    ? (p as MutableProfile)
    : { cpu: p ? Float64Array.from(p.cpu) : new Float64Array(g.cpu.length), memory: p ? Float64Array.from(p.memory) : new Float64Array(g.memory.length), peakCpu: p?.peakCpu ?? 0, peakMemory: p?.peakMemory ?? 0 };
  for (let t = 0; t < g.cpu.length; t++) {
    out.cpu[t] = out.cpu[t]! + sign * g.cpu[t]!;
    out.memory[t] = out.memory[t]! + sign * g.memory[t]!;
  }
  out.peakCpu += sign * peakCpu;
  out.peakMemory += sign * peakMemory;
  return out;
}
