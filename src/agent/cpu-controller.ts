// The cpu soft-limit controller (Galaxy's design), pure: time and usage in, new cpu ceilings out.
//
// A container with `cpu.excess` is guaranteed its millicores (its quota) and may borrow idle cores above it. Each
// interval, from the host's idle cpu and each container's usage and run-queue wait:
//
//   someone squeezed below its quota, or idle < low ──► step DOWN: borrowers give back, the biggest borrower first,
//                                                       at most 0.5 core each per step, never below their quota
//   idle > high (and nobody squeezed)               ──► step UP: hungry borrowers (using ≥ 90% of their ceiling)
//                                                       take from the spare (idle − high), least borrowed first,
//                                                       at most 1 core each per step, after holding `holdMs`
//   otherwise                                       ──► hold
//
// "Squeezed" = using less than its quota while its processes wait for a cpu (contention, not its own limit): what
// is given back goes to it first, because borrowing only ever uses cores nobody is guaranteed.

export interface CpuContainer {
  id: string;
  /** the guaranteed millicores (the request) */
  quota: number;
  /** may borrow above its quota */
  excess: boolean;
  /** its current ceiling in millicores (= quota unless it borrows) */
  limit: number;
  /** millicores used over the last interval */
  usage: number;
  /** millicores its processes spent runnable but waiting for a cpu over the last interval */
  wait: number;
  /** when its ceiling last changed (ms) */
  changedAt: number;
}

export interface CpuHost {
  /** millicores of the whole host (the most any ceiling may reach) */
  cores: number;
  /** idle millicores over the last interval */
  idle: number;
}

export interface CpuParams {
  lowIdle: number;
  highIdle: number;
  stepUp: number;
  stepDown: number;
  /** a ceiling that just changed is not raised again before this (lets usage settle) */
  holdMs: number;
  /** fraction of its ceiling a borrower must use to be given more */
  hungry: number;
}

/** Defaults for a host of `cores` millicores: step down below 10% idle (at least 0.2 core), up above 25% (0.5 core). */
export function defaultCpuParams(cores: number): CpuParams {
  return {
    lowIdle: Math.max(200, Math.round(cores * 0.1)), highIdle: Math.max(500, Math.round(cores * 0.25)),
    stepUp: 1000, stepDown: 500, holdMs: 2000, hungry: 0.9,
  };
}

export interface CpuDecision {
  id: string;
  limit: number;
  reason: "give back" | "borrow";
}

/** A container is squeezed when it uses less than its quota while waiting for a cpu; returns the millicores it lacks. */
export function squeezedBy(c: CpuContainer): number {
  if (c.usage >= c.quota * 0.95 || c.wait < Math.max(10, c.quota * 0.05)) return 0;
  return Math.min(c.quota - c.usage, c.wait);
}

/** One interval of the controller: the ceilings to change (unchanged ones are left out). */
export function computeCpuLimits(now: number, host: CpuHost, containers: readonly CpuContainer[], p: CpuParams): CpuDecision[] {
  const borrowers = containers.filter((c) => c.excess);
  if (borrowers.length === 0) return [];
  const deficit = containers.reduce((s, c) => s + squeezedBy(c), 0);
  if (deficit > 0 || host.idle < p.lowIdle) return stepDown(borrowers, Math.max(deficit, p.lowIdle - host.idle), p);
  if (host.idle > p.highIdle) return stepUp(now, borrowers, host, host.idle - p.highIdle, p);
  return [];
}

function stepDown(borrowers: readonly CpuContainer[], need: number, p: CpuParams): CpuDecision[] {
  const out: CpuDecision[] = [];
  const biggestFirst = [...borrowers].sort((a, b) => b.limit - b.quota - (a.limit - a.quota) || a.id.localeCompare(b.id));
  for (const c of biggestFirst) {
    if (need <= 0) break;
    const cut = Math.min(p.stepDown, c.limit - c.quota, need);
    if (cut <= 0) continue;
    out.push({ id: c.id, limit: c.limit - cut, reason: "give back" });
    need -= cut;
  }
  return out;
}

function stepUp(now: number, borrowers: readonly CpuContainer[], host: CpuHost, spare: number, p: CpuParams): CpuDecision[] {
  const out: CpuDecision[] = [];
  const hungry = borrowers.filter((c) => c.usage >= c.limit * p.hungry && now - c.changedAt >= p.holdMs);
  const leastFirst = hungry.sort((a, b) => a.limit - a.quota - (b.limit - b.quota) || a.id.localeCompare(b.id));
  for (const c of leastFirst) {
    const give = Math.min(p.stepUp, spare, host.cores - c.limit);
    if (give <= 0) continue;
    out.push({ id: c.id, limit: c.limit + give, reason: "borrow" });
    spare -= give;
  }
  return out;
}
