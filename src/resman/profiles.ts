// A group's usage profile (job file deploy.profile, GroupSpec profile_cpu/profile_memory: fractions of the request at
// evenly spaced points of a day) as the scheduler's SchedProfile: absolute millicores and bytes at PROFILE_POINTS
// points. A curve of another length is resampled: each of the 96 points takes the highest source point it overlaps,
// so a resampled curve never asks less than the job said.
import type { GroupSpec } from "../rpc/types.ts";
import type { SchedProfile } from "../scheduler/index.ts";

/** Every profile on an agent has this many points (one every 15 minutes of a day). */
export const PROFILE_POINTS = 96;

const cache = new WeakMap<GroupSpec, SchedProfile | null>();

/** The group's profile (made once per spec object), or undefined when the job gave none. */
export function profileOf(spec: GroupSpec | undefined): SchedProfile | undefined {
  if (!spec || ((spec.profileCpu?.length ?? 0) === 0 && (spec.profileMemory?.length ?? 0) === 0)) return undefined;
  let p = cache.get(spec);
  if (p === undefined) {
    p = { cpu: curve(spec.profileCpu, spec.resources.millicores), memory: curve(spec.profileMemory, spec.resources.memory) };
    cache.set(spec, p);
  }
  return p ?? undefined;
}

function curve(fractions: readonly number[] | undefined, request: number): Float64Array {
  const out = new Float64Array(PROFILE_POINTS);
  const n = fractions?.length ?? 0;
  if (n === 0) return out.fill(request);
  for (let j = 0; j < PROFILE_POINTS; j++) {
    const lo = Math.floor((j * n) / PROFILE_POINTS);
    const hi = Math.max(lo, Math.ceil(((j + 1) * n) / PROFILE_POINTS) - 1);
    let max = 0;
    for (let i = lo; i <= hi && i < n; i++) max = Math.max(max, fractions![i]!);
    out[j] = Math.ceil(max * request);
  }
  return out;
}
