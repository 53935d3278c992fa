// The lease: pure decisions a standby makes while the lock is busy. A SIGSTOPped leader keeps its flock forever,
// so a standby may depose a holder whose lease has run out. Time is an argument (the standby's own clock, the only
// one it reads).
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
 * Why the holder of a busy lock may be deposed, or null while its lease holds. The lease has expired when we have
 * watched the record stay unchanged (no renewal, or no leader file at all) for longer than leaseMs by our own clock.
 * The leader's `renewed` time is never compared with our clock: on another host (a cluster dir on shared storage)
 * the two clocks may differ by seconds, and a standby whose clock ran ahead would depose a healthy leader.
 */
export function leaseExpiry(leader: LeaderInfo | null, obs: HolderObservation, now: number, leaseMs: number): string | null {
  if (now - obs.since > leaseMs) {
    return leader !== null
      ? `pid ${leader.pid} (epoch ${leader.epoch}) has not renewed for ${now - obs.since} ms`
      : `lock held but no leader file for ${now - obs.since} ms`;
  }
  return null;
}
