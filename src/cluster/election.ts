// Leader election over the cluster directory: flock on R.lock, a lease against stopped leaders, and epochs that only
// grow (granted under a short flock on R.epoch.lock). See README.md for the picture.
import { randomBytes } from "node:crypto";
import { renameSync } from "node:fs";
import { join } from "node:path";
import type { ClusterDir, LeaderInfo, MasterRole } from "./cluster-dir.ts";
import { unlinkQuiet } from "./cluster-dir.ts";
import { HeldLeadership, type Leadership, type ResolvedElection } from "./leadership.ts";
import { holderKey, leaseExpiry, observeHolder, type HolderObservation } from "./lease.ts";
import { acquireFlock, tryFlock, type FileLock } from "./lock.ts";
import { sleep } from "./sleep.ts";

export interface ElectionOptions {
  clusterDir: ClusterDir;
  role: MasterRole;
  addr: string;
  /** How often a standby retries (default 100). */
  pollMs?: number;
  /** A leader renews every leaseMs/3; a standby may depose a leader that has not renewed for leaseMs (default 3000). */
  leaseMs?: number;
  now?: () => number;
  log?: (msg: string) => void;
  /** Called once, when this process first finds another one holding the lock (it is a standby). */
  onStandby?: () => void;
}

export type { ResolvedElection } from "./leadership.ts";

export function resolveElection(opts: ElectionOptions): ResolvedElection {
  return {
    dir: opts.clusterDir,
    role: opts.role,
    addr: opts.addr,
    pollMs: opts.pollMs ?? 100,
    leaseMs: opts.leaseMs ?? 3000,
    now: opts.now ?? Date.now,
    log: opts.log ?? (() => {}),
  };
}

/** Blocks (async) until this process is the leader; then bumps the epoch and writes the leader file. */
export async function campaign(opts: ElectionOptions, signal?: AbortSignal): Promise<Leadership> {
  const o = resolveElection(opts);
  let obs: HolderObservation | null = null;
  let announced = "";
  let standby = false;
  for (;;) {
    signal?.throwIfAborted();
    const lock = tryFlock(o.dir.rolePath(o.role, "lock"));
    if (lock !== null) {
      obs = null;
      const won = await grantOrRelease(o, lock, null);
      if (won !== null) return won;
    } else {
      const leader = o.dir.readLeader(o.role);
      const now = o.now();
      obs = observeHolder(obs, leader, now);
      const why = leaseExpiry(leader, obs, now, o.leaseMs);
      if (why !== null) {
        const won = await depose(o, obs.key, why);
        if (won !== null) return won;
      } else if (announced !== `${leader?.pid}/${leader?.epoch}`) {
        announced = `${leader?.pid}/${leader?.epoch}`;
        o.log(`${o.role}: standby; leader is ${describe(leader)}`);
      }
      if (!standby && why === null) {
        standby = true;
        opts.onStandby?.();
      }
    }
    await sleep(o.pollMs, signal);
  }
}

/** Takes over from a holder whose lease expired: a fresh, already locked file is renamed over R.lock. */
async function depose(o: ResolvedElection, seenKey: string, why: string): Promise<Leadership | null> {
  const tmp = join(o.dir.path, `.${o.dir.roleFile(o.role, "lock")}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  const lock = tryFlock(tmp);
  if (lock === null) throw new Error(`fresh lock file ${tmp} is already locked`);
  try {
    const won = await grantOrRelease(o, lock, { tmp, seenKey, why });
    return won;
  } finally {
    unlinkQuiet(tmp); // gone already when the rename happened
  }
}

interface Takeover {
  tmp: string;
  seenKey: string;
  why: string;
}

/** Runs the epoch critical section; on failure (or a throw) the lock is released. */
async function grantOrRelease(o: ResolvedElection, lock: FileLock, takeover: Takeover | null): Promise<Leadership | null> {
  let won: Leadership | null = null;
  try {
    won = await grant(o, lock, takeover);
    return won;
  } finally {
    if (won === null) lock.release();
  }
}

/**
 * The critical section under R.epoch.lock: (takeover: re-check the lease, rename the fresh lock over R.lock), verify
 * that R.lock is the file we hold, write R.epoch = epoch+1, then R.leader. Renames of R.lock happen only in here.
 */
async function grant(o: ResolvedElection, lock: FileLock, takeover: Takeover | null): Promise<Leadership | null> {
  const epochLock = await acquireFlock(o.dir.rolePath(o.role, "epoch.lock"), o.leaseMs);
  if (epochLock === null) {
    o.log(`${o.role}: ${o.dir.roleFile(o.role, "epoch.lock")} stayed busy for ${o.leaseMs} ms; retrying`);
    return null;
  }
  try {
    const lockPath = o.dir.rolePath(o.role, "lock");
    if (takeover !== null) {
      if (holderKey(o.dir.readLeader(o.role)) !== takeover.seenKey) return null; // renewed, or someone else took over
      renameSync(takeover.tmp, lockPath);
      o.log(`${o.role}: deposing the leader: ${takeover.why}`);
    }
    if (!lock.isAt(lockPath)) return null; // a standby renamed a fresh lock file over the one we locked
    const epoch = o.dir.readEpoch(o.role) + 1;
    o.dir.writeFileAtomic(o.dir.roleFile(o.role, "epoch"), `${epoch}\n`);
    const now = o.now();
    const info: LeaderInfo = { addr: o.addr, epoch, pid: process.pid, since: now, renewed: now };
    o.dir.writeFileAtomic(o.dir.roleFile(o.role, "leader"), JSON.stringify(info) + "\n");
    o.log(`${o.role}: leader at ${o.addr}, epoch ${epoch}`);
    return new HeldLeadership(o, lock, info);
  } finally {
    epochLock.release();
  }
}

function describe(l: LeaderInfo | null): string {
  return l === null ? "unknown (no leader file)" : `pid ${l.pid} at ${l.addr}, epoch ${l.epoch}`;
}
