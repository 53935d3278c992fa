// The uid (and gid, the same number) a container's tasks run as: one per container, from the agent's --task-uids range,
// allocated when the container is created, checkpointed with it (a restarted agent keeps it), free again once the
// container is destroyed. Pure.
import { InvalidError } from "../core/errors.ts";

export interface UidRange {
  min: number;
  max: number;
}

/** The default of `galaxy agent` (one agent per host). */
export const DEFAULT_TASK_UIDS: UidRange = { min: 100_000, max: 165_535 };
/** How many task uids each agent of `galaxy up` has (see agentUidRange). */
export const UIDS_PER_AGENT = 1024;

/** "100000-165535" -> {min, max}; above 0 (never root), at most 2^31-2. */
export function parseUidRange(text: string): UidRange {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  const bad = `--task-uids ${JSON.stringify(text)}: want FIRST-LAST, two uids above 0 with FIRST <= LAST, e.g. 100000-165535`;
  if (!m) throw new InvalidError(bad);
  const [min, max] = [Number(m[1]), Number(m[2])];
  if (!(min > 0 && min <= max && max < 2 ** 31 - 1)) throw new InvalidError(bad);
  return { min, max };
}

/** The range of a `galaxy up` agent listening on `port`: agents on one host (of any cluster) never share a task uid,
 * since they never share a port. */
export function agentUidRange(port: number): string {
  const min = 1_000_000 + port * UIDS_PER_AGENT;
  return `${min}-${min + UIDS_PER_AGENT - 1}`;
}

/** The lowest uid of the range no held container has; null when every one is taken. */
export function allocateUid(range: UidRange, used: Iterable<number | undefined>): number | null {
  const taken = new Set(used);
  for (let uid = range.min; uid <= range.max; uid++) if (!taken.has(uid)) return uid;
  return null;
}
