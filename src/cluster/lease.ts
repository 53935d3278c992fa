// The lease: pure decisions a standby makes while the lock is busy. A SIGSTOPped leader keeps its flock forever,
// so a standby may depose a holder whose lease has run out. Time is an argument (the standby's own clock).
import type { LeaderInfo } from "./cluster-dir.ts";

/** What a standby last saw in the leader file, and since when (its own clock). */
export interface HolderObservation {
  readonly key: string;
  readonly since: number;
}

/** The identity of one renewal of one leader record ("none" when the file is absent or unparsable). */
export function holderKey(leader: LeaderInfo | null): string {
  return leader ? `${leader.pid}/${leader.epoch}/${leader.renewed}` : "none";
}

/** Keeps `prev` while the leader record is unchanged, else starts a new observation at `now`. */
export function observeHolder(prev: HolderObservation | null, leader: LeaderInfo | null, now: number): HolderObservation {
  const key = holderKey(leader);
  return prev !== null && prev.key === key ? prev : { key, since: now };
}

/**
 * Why the holder of a busy lock may be deposed, or null while its lease holds. The lease has expired when the
 * leader's last renewal is older than leaseMs by our clock, or when we have watched the record stay unchanged
 * (no renewal, or no leader file at all) for longer than leaseMs — the second rule needs no synchronised clocks.
 */
export function leaseExpiry(leader: LeaderInfo | null, obs: HolderObservation, now: number, leaseMs: number): string | null {
  if (leader !== null && now - leader.renewed > leaseMs) {
    return `lease of pid ${leader.pid} (epoch ${leader.epoch}) expired: last renewed ${now - leader.renewed} ms ago`;
  }
  if (now - obs.since > leaseMs) {
    return leader !== null
      ? `pid ${leader.pid} (epoch ${leader.epoch}) has not renewed for ${now - obs.since} ms`
      : `lock held but no leader file for ${now - obs.since} ms`;
  }
  return null;
}
