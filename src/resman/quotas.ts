// Users' quotas: pure arithmetic over the groups they own. A group uses replica × its per-container resources and
// `replica` replicas; a request is refused when it would take the user past a limit on a dimension it grows.
import { QuotaExceededError } from "../core/errors.ts";
import { formatSize } from "../core/units.ts";
import type { GroupSpec } from "../rpc/types.ts";
import type { QuotaRec } from "./state.ts";

export const QUOTA_DIMENSIONS = ["cpu", "memory", "disk", "ssd", "replica"] as const;
export type QuotaDimension = (typeof QUOTA_DIMENSIONS)[number];

const FIELD: Record<QuotaDimension, keyof Omit<QuotaRec, "user">> = {
  cpu: "millicores", memory: "memory", disk: "disk", ssd: "ssd", replica: "replica",
};

export const emptyQuota = (user: string): QuotaRec => ({ user, millicores: 0, memory: 0, disk: 0, ssd: 0, replica: 0 });

/** What one group uses. */
export function groupUsage(s: GroupSpec): Omit<QuotaRec, "user"> {
  const n = s.replica;
  return { millicores: n * s.resources.millicores, memory: n * s.resources.memory, disk: n * s.resources.disk, ssd: n * s.resources.ssd, replica: n };
}

/** What a user's groups use, optionally leaving one group out. */
export function usageOf(user: string, groups: Iterable<GroupSpec>, except = ""): QuotaRec {
  const u = emptyQuota(user);
  for (const g of groups) {
    if (g.user !== user || g.id === except) continue;
    const x = groupUsage(g);
    for (const d of QUOTA_DIMENSIONS) u[FIELD[d]] += x[FIELD[d]];
  }
  return u;
}

/**
 * Throws QuotaExceededError naming the first dimension on which `next` (replacing `prev`, if any) takes the user past
 * the limit. A dimension the request does not grow is never refused, so a user over a lowered quota can still shrink.
 */
export function checkQuota(quota: QuotaRec | undefined, othersUsage: QuotaRec, prev: GroupSpec | undefined, next: GroupSpec): void {
  if (!quota) return;
  const before = prev ? groupUsage(prev) : null;
  const after = groupUsage(next);
  for (const d of QUOTA_DIMENSIONS) {
    const f = FIELD[d];
    const limit = quota[f];
    if (limit <= 0) continue;
    const wanted = othersUsage[f] + after[f];
    if (wanted > limit && (!before || after[f] > before[f])) {
      throw new QuotaExceededError(quota.user, d, formatAmount(d, wanted), formatAmount(d, limit));
    }
  }
}

/** "2.5 cores", "3G", "12 replicas". */
export function formatAmount(d: QuotaDimension, n: number): string {
  if (d === "cpu") return `${Math.round(n / 10) / 100} cores`;
  if (d === "replica") return `${n} replica${n === 1 ? "" : "s"}`;
  return formatSize(n);
}
