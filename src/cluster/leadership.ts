// A won leadership: renews the lease in R.leader every leaseMs/3 and notices when it has been deposed
// (R.lock replaced by a standby, or a newer epoch granted).
import type { ClusterDir, LeaderInfo, MasterRole } from "./cluster-dir.ts";
import { unlinkQuiet } from "./cluster-dir.ts";
import type { FileLock } from "./lock.ts";

/** An election's options with every default filled in (election.ts resolveElection). */
export interface ResolvedElection {
  readonly dir: ClusterDir;
  readonly role: MasterRole;
  readonly addr: string;
  readonly pollMs: number;
  readonly leaseMs: number;
  readonly now: () => number;
  readonly log: (msg: string) => void;
}

export interface Leadership {
  readonly role: MasterRole;
  readonly epoch: number;
  /** False once this process has lost leadership (lock file replaced, newer epoch granted). Cheap; call it before acting. */
  isLeader(): boolean;
  /** Resolves when leadership is lost (polls); also after release(). */
  lost(): Promise<void>;
  /** Give up (clean shutdown): remove the leader file if it still names us, then unlock. */
  release(): void;
}

/** How long a positive isLeader() answer is reused before the files are looked at again. */
export const IS_LEADER_CACHE_MS = 50;

export class HeldLeadership implements Leadership {
  readonly role: MasterRole;
  readonly epoch: number;
  private info: LeaderInfo;
  private done: string | null = null; // why we stopped being leader ("released", "lock file replaced", ...)
  private checkedAt = -Infinity;
  private readonly renewTimer: ReturnType<typeof setInterval>;
  private lostPromise: Promise<void> | null = null;
  /** A renewal's write is in flight (a slow disk skips renewals rather than piling them up). */
  private renewing = false;
  private wakeLost: (() => void) | null = null;

  constructor(
    private readonly o: ResolvedElection,
    private readonly lock: FileLock,
    info: LeaderInfo,
  ) {
    this.role = o.role;
    this.epoch = info.epoch;
    this.info = info;
    this.renewTimer = setInterval(() => void this.renew(), Math.max(1, Math.floor(o.leaseMs / 3)));
    this.renewTimer.unref();
  }

  isLeader(): boolean {
    if (this.done !== null) return false;
    const t = performance.now();
    if (t - this.checkedAt < IS_LEADER_CACHE_MS) return true;
    const why = this.whyNotLeader();
    if (why !== null) {
      this.markLost(why);
      return false;
    }
    this.checkedAt = t;
    return true;
  }

  lost(): Promise<void> {
    if (this.lostPromise !== null) return this.lostPromise;
    this.lostPromise = new Promise<void>((resolve) => {
      if (!this.isLeader()) return resolve();
      const poll = setInterval(() => this.isLeader(), this.o.pollMs);
      this.wakeLost = () => {
        clearInterval(poll);
        resolve();
      };
    });
    return this.lostPromise;
  }

  release(): void {
    if (this.done !== null) return;
    const stillOurs = this.whyNotLeader() === null;
    this.finish("released");
    if (stillOurs) {
      // Remove the leader file before unlocking, so no new leader's file can be removed by mistake.
      const cur = this.o.dir.readLeader(this.role);
      if (cur !== null && cur.pid === this.info.pid && cur.epoch === this.epoch) {
        unlinkQuiet(this.o.dir.rolePath(this.role, "leader"));
      }
    }
    this.lock.release();
    this.o.log(`${this.role}: released leadership of epoch ${this.epoch}`);
  }

  /** Null while we hold R.lock and R.epoch is still ours; otherwise the reason we are no longer leader. */
  private whyNotLeader(): string | null {
    try {
      if (!this.lock.isAt(this.o.dir.rolePath(this.role, "lock"))) return "the lock file was replaced";
      const e = this.o.dir.readEpoch(this.role);
      if (e !== this.epoch) return `epoch ${e} is now current`;
      return null;
    } catch (err) {
      return `cannot verify leadership: ${(err as Error).message}`;
    }
  }

  /** Rewrites the leader file with a new `renewed`, its write and fsyncs off the event loop (see writeFileAtomicIfAsync). */
  private async renew(): Promise<void> {
    if (this.renewing || !this.isLeader()) return;
    this.renewing = true;
    const info = { ...this.info, renewed: this.o.now() };
    try {
      // Check again right before the rename, so a deposed leader never overwrites its successor's file.
      const ok = await this.o.dir.writeFileAtomicIfAsync(this.o.dir.roleFile(this.role, "leader"), JSON.stringify(info) + "\n", 0o644, () => {
        if (this.done !== null) return false;
        const why = this.whyNotLeader();
        if (why !== null) this.markLost(why);
        return why === null;
      });
      if (ok) this.info = info;
    } catch (err) {
      this.o.log(`${this.role}: renewing the lease of epoch ${this.epoch} failed: ${(err as Error).message}`);
    } finally {
      this.renewing = false;
    }
  }

  private markLost(why: string): void {
    if (this.done !== null) return;
    this.finish(why);
    this.lock.release();
    this.o.log(`${this.role}: lost leadership of epoch ${this.epoch}: ${why}`);
  }

  private finish(why: string): void {
    this.done = why;
    clearInterval(this.renewTimer);
    this.wakeLost?.();
  }
}
