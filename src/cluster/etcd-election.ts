// Leader election on etcd: a campaign creates `<prefix>/<role>/leader` if absent, attached to a lease; the epoch is
// the create revision etcd assigned to that key. The leader renews the lease every TTL/3 and steps down by its own
// monotonic timer once TTL has passed since the last renewal it sent that etcd acknowledged (no client event, and no
// decision compares two hosts' clocks). See README.md, "etcd".
import { UnavailableError } from "../core/errors.ts";
import type { Fence } from "../store/etcd-store.ts";
import type { MasterRole } from "./cluster-dir.ts";
import type { EtcdClient } from "./etcd-client.ts";
import type { Leadership } from "./leadership.ts";
import { sleep } from "./sleep.ts";

export interface EtcdElectionOptions {
  client: EtcdClient;
  /** The cluster's key prefix in etcd, e.g. "/galaxy" (no trailing slash). */
  prefix: string;
  role: MasterRole;
  addr: string;
  /** The lease TTL in seconds (default 3; etcd may raise it to its minimum). */
  ttlSeconds?: number;
  /** How often a standby looks at the leader key (default 100 ms). */
  pollMs?: number;
  /** An epoch this role already used elsewhere (e.g. the cluster dir's): the etcd epoch must be above it. */
  minEpoch?: number;
  log?: (msg: string) => void;
  onStandby?: () => void;
  /** A monotonic clock in ms (default performance.now). */
  now?: () => number;
}

/** What the leader key holds: who leads, where to reach it. */
export interface EtcdLeaderInfo {
  addr: string;
  pid: number;
  epoch: number;
  /** When it won, by its own clock (for display only). */
  since: number;
}

export const leaderKey = (prefix: string, role: MasterRole): string => `${prefix}/${role}/leader`;
export const epochKey = (prefix: string, role: MasterRole): string => `${prefix}/${role}/epoch`;

/** The current leader of a role (for discovery), or null when there is none. */
export async function readEtcdLeader(client: EtcdClient, prefix: string, role: MasterRole): Promise<EtcdLeaderInfo | null> {
  const kv = await client.get(leaderKey(prefix, role));
  if (kv === null) return null;
  try {
    const v = JSON.parse(kv.value) as { addr: string; pid: number; since?: number };
    return { addr: v.addr, pid: v.pid, epoch: kv.createRevision, since: v.since ?? 0 };
  } catch {
    return null;
  }
}

/** Blocks (async) until this process leads the role; answers the leadership, with the fence for the store. */
export async function campaignEtcd(o: EtcdElectionOptions, signal?: AbortSignal): Promise<EtcdLeadership> {
  const log = o.log ?? (() => {});
  const key = leaderKey(o.prefix, o.role);
  let standby = false;
  let announced = "";
  for (;;) {
    signal?.throwIfAborted();
    try {
      const cur = await o.client.get(key);
      if (cur === null) {
        const won = await tryLead(o, key);
        if (won !== null) return won;
      } else {
        if (announced !== `${cur.createRevision}`) {
          announced = `${cur.createRevision}`;
          log(`${o.role}: standby; leader is ${describeLeader(cur.value)}, epoch ${cur.createRevision}`);
        }
        if (!standby) {
          standby = true;
          o.onStandby?.();
        }
      }
    } catch (e) {
      if (!(e instanceof UnavailableError)) throw e;
      log(`${o.role}: ${e.message}; retrying`);
    }
    await sleep(o.pollMs ?? 100, signal);
  }
}

/** One attempt: create the leader key with a fresh lease if it is still absent. Null when another got there first. */
async function tryLead(o: EtcdElectionOptions, key: string): Promise<EtcdLeadership | null> {
  const now = o.now ?? (() => performance.now());
  const sentAt = now();
  const lease = await o.client.leaseGrant(o.ttlSeconds ?? 3);
  const value = JSON.stringify({ addr: o.addr, pid: process.pid, since: Date.now() });
  const r = await o.client.txn({
    compare: [{ key, target: "version", value: 0 }],
    success: [{ put: { key, value, lease: lease.id } }, { range: { key } }, { range: { key: epochKey(o.prefix, o.role) } }],
  });
  if (!r.succeeded) {
    await o.client.leaseRevoke(lease.id);
    return null;
  }
  const epoch = r.responses[1]!.kvs![0]!.createRevision;
  const recorded = Math.max(Number(r.responses[2]!.kvs?.[0]?.value ?? 0), o.minEpoch ?? 0);
  const fence = { key, createRevision: epoch };
  if (epoch <= recorded) {
    await o.client.leaseRevoke(lease.id);
    throw new Error(
      `refusing to lead ${o.role}: etcd gave epoch ${epoch}, not above epoch ${recorded} already used (was etcd replaced or restored from a backup?)`,
    );
  }
  const rec = await o.client.txn({ compare: [{ key, target: "create", value: epoch }], success: [{ put: { key: epochKey(o.prefix, o.role), value: String(epoch) } }] });
  if (!rec.succeeded) return null; // lost the key already (lease expired meanwhile)
  (o.log ?? (() => {}))(`${o.role}: leader at ${o.addr}, epoch ${epoch}`);
  return new EtcdLeadership(o, lease.id, lease.ttl * 1000, fence, sentAt);
}

export class EtcdLeadership implements Leadership {
  readonly role: MasterRole;
  readonly epoch: number;
  private done: string | null = null;
  private deadline: number;
  private readonly renewTimer: ReturnType<typeof setInterval>;
  private stepDownTimer: ReturnType<typeof setTimeout> | null = null;
  private renewing = false;
  private readonly lostPromise: Promise<void>;
  private wakeLost: () => void = () => {};
  private readonly now: () => number;

  constructor(
    private readonly o: EtcdElectionOptions,
    private readonly leaseId: string,
    private readonly ttlMs: number,
    readonly fence: Fence,
    renewedAt: number,
  ) {
    this.role = o.role;
    this.epoch = fence.createRevision;
    this.now = o.now ?? (() => performance.now());
    this.deadline = renewedAt + ttlMs;
    this.lostPromise = new Promise((resolve) => (this.wakeLost = resolve));
    this.armStepDown();
    this.renewTimer = setInterval(() => void this.renew(), Math.max(1, Math.floor(ttlMs / 3)));
    this.renewTimer.unref?.();
  }

  /** False once lost: deposed, released, or TTL passed since the last acknowledged renewal (by our own clock). */
  isLeader(): boolean {
    if (this.done === null && this.now() >= this.deadline) this.markLost(`could not renew the lease within its TTL (${this.ttlMs} ms)`);
    return this.done === null;
  }

  lost(): Promise<void> {
    return this.lostPromise;
  }

  /** Clean shutdown: revoking the lease deletes the leader key, so a standby leads at once. */
  release(): void {
    if (this.done !== null) return;
    this.finish("released");
    void this.o.client.leaseRevoke(this.leaseId).catch(() => {});
    this.o.log?.(`${this.role}: released leadership of epoch ${this.epoch}`);
  }

  /** Steps down now (e.g. a hard-state write failed): the lease is revoked so a standby leads at once. */
  stepDown(why: string): void {
    if (this.done !== null) return;
    this.markLost(why);
    void this.o.client.leaseRevoke(this.leaseId).catch(() => {});
  }

  /** Why leadership ended, or null while leading. */
  get reason(): string | null {
    return this.done;
  }

  private armStepDown(): void {
    if (this.stepDownTimer) clearTimeout(this.stepDownTimer);
    this.stepDownTimer = setTimeout(() => this.isLeader(), Math.max(0, this.deadline - this.now()) + 1);
  }

  /** One keepalive; the deadline moves to (when it was sent) + TTL once etcd acknowledged it with a live lease. */
  private async renew(): Promise<void> {
    if (this.renewing || !this.isLeader()) return;
    this.renewing = true;
    const sentAt = this.now();
    try {
      const [ttl, cur] = await Promise.all([this.o.client.leaseKeepAlive(this.leaseId), this.o.client.get(this.fence.key)]);
      if (this.done !== null) return;
      if (ttl <= 0) return this.markLost("the lease expired in etcd");
      if (cur === null || cur.createRevision !== this.epoch) return this.markLost("the leader key is no longer ours");
      this.deadline = Math.max(this.deadline, sentAt + this.ttlMs);
      this.armStepDown();
    } catch (e) {
      this.o.log?.(`${this.role}: renewing the lease of epoch ${this.epoch} failed: ${(e as Error).message}`);
    } finally {
      this.renewing = false;
    }
  }

  private markLost(why: string): void {
    if (this.done !== null) return;
    this.finish(why);
    this.o.log?.(`${this.role}: lost leadership of epoch ${this.epoch}: ${why}`);
  }

  private finish(why: string): void {
    this.done = why;
    clearInterval(this.renewTimer);
    if (this.stepDownTimer) clearTimeout(this.stepDownTimer);
    this.wakeLost();
  }
}

function describeLeader(value: string): string {
  try {
    const v = JSON.parse(value) as { addr: string; pid: number };
    return `pid ${v.pid} at ${v.addr}`;
  } catch {
    return "unknown";
  }
}
