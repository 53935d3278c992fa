// "The cluster" on etcd (--etcd): what the cluster directory holds for masters, under one key prefix.
//   <prefix>/secret                  the cluster secret (created once; seeded from --cluster-dir's when one is given)
//   <prefix>/<role>/leader           the leader key (etcd-election.ts); <prefix>/<role>/epoch the last epoch
//   <prefix>/<role>/state/...        the role's hard state (EtcdStore, fenced by the leader key)
//   <prefix>/naming/<job>.json       AppMaster's naming documents (watchable)
import { randomBytes } from "node:crypto";
import { InvalidError } from "../core/errors.ts";
import { EtcdStore } from "../store/etcd-store.ts";
import type { Store } from "../store/store.ts";
import { ClusterDir, MASTER_ROLES, type ClusterView, type LeaderInfo, type MasterRole } from "./cluster-dir.ts";
import { EtcdClient } from "./etcd-client.ts";
import { campaignEtcd, readEtcdLeader, type EtcdLeaderInfo, type EtcdLeadership } from "./etcd-election.ts";
import { WarmState } from "./etcd-warm.ts";
import type { Leadership } from "./leadership.ts";
import type { Elect } from "./master.ts";

/** How often the leaders' addresses are read again (a standby answers NOT_LEADER with them). */
const LEADERS_EVERY_MS = 200;
const SECRET_RE = /^[0-9a-f]{64}$/;
/** How long a new leader waits for its warm copy to catch up before it loads afresh. */
const WARM_CATCH_UP_MS = 2000;

export interface EtcdClusterOptions {
  /** "http://h1:2379,http://h2:2379" (bare host:port gets http://). */
  endpoints: string;
  /** Key prefix (default "/galaxy"). */
  prefix?: string;
  /** Seeds the secret in etcd from this cluster dir's (so agents that read it agree). */
  clusterDir?: string;
  /** Lease TTL in seconds (default 3). */
  ttlSeconds?: number;
  log?: (msg: string) => void;
}

export class EtcdClusterView implements ClusterView {
  readonly path: string;
  private readonly leaders = new Map<MasterRole, EtcdLeaderInfo | null>();
  private readonly stores = new Map<MasterRole, EtcdStore>();
  private readonly naming = new Map<string, string | null>(); // relPath -> doc (null: delete), not yet written
  private flushing = false;
  private timer: ReturnType<typeof setInterval> | null = null;

  private constructor(
    readonly client: EtcdClient,
    readonly prefix: string,
    private readonly cachedSecret: string,
    private readonly o: EtcdClusterOptions,
  ) {
    this.path = `etcd ${client.endpoints.join(",")} (prefix ${prefix})`;
  }

  /** Connects: reads (or creates) the secret and the leaders, then keeps the leaders fresh. */
  static async connect(o: EtcdClusterOptions): Promise<EtcdClusterView> {
    const prefix = (o.prefix ?? "/galaxy").replace(/\/+$/, "");
    if (!prefix.startsWith("/")) throw new InvalidError(`--etcd-prefix ${JSON.stringify(o.prefix)} must start with /`);
    const client = EtcdClient.fromList(o.endpoints);
    const key = `${prefix}/secret`;
    const seed = o.clusterDir ? new ClusterDir(o.clusterDir).secret() : randomBytes(32).toString("hex");
    await client.txn({ compare: [{ key, target: "version", value: 0 }], success: [{ put: { key, value: seed } }] });
    const secret = (await client.get(key))?.value ?? "";
    if (!SECRET_RE.test(secret)) throw new InvalidError(`the cluster secret at ${key} in etcd is corrupt`);
    const view = new EtcdClusterView(client, prefix, secret, o);
    await view.refreshLeaders();
    view.timer = setInterval(() => void view.refreshLeaders().catch(() => {}), LEADERS_EVERY_MS);
    view.timer.unref?.();
    return view;
  }

  secret(): string {
    return this.cachedSecret;
  }

  readLeader(role: MasterRole): LeaderInfo | null {
    const l = this.leaders.get(role);
    return l ? { ...l, renewed: l.since } : null;
  }

  writeFileAtomic(relPath: string, data: string): void {
    this.queueNaming(relPath, data);
  }

  removeFile(relPath: string): void {
    this.queueNaming(relPath, null);
  }

  /**
   * Campaigns for the role. Meanwhile the role's hard state is kept warm (etcd-warm.ts); on winning, that copy is
   * taken once it has caught up with the new leader key (else the state is loaded afresh) and fenced by that key.
   */
  elect(): Elect {
    return async (args, signal) => {
      const warm = new WarmState(this.client, `${this.prefix}/${args.role}`);
      // Agents remember the epochs a cluster dir's election granted: etcd's must be above them.
      const minEpoch = this.o.clusterDir ? new ClusterDir(this.o.clusterDir).readEpoch(args.role) : 0;
      let leadership: EtcdLeadership;
      try {
        leadership = await campaignEtcd({ client: this.client, prefix: this.prefix, ttlSeconds: this.o.ttlSeconds, minEpoch, ...args }, signal);
      } catch (e) {
        warm.stop();
        throw e;
      }
      try {
        const t0 = performance.now();
        let { store, why } = await warm.take(leadership.epoch, WARM_CATCH_UP_MS);
        if (store === null) {
          store = new EtcdStore({ client: this.client, prefix: `${this.prefix}/${args.role}/state` });
          await store.load();
        }
        store.setFence(leadership.fence);
        store.setOnFailure((e) => leadership.stepDown(`a hard-state write failed: ${e.message}`));
        this.stores.set(args.role, store);
        const how = why ? `loaded afresh (${why})` : "kept warm by a watch";
        args.log(`${args.role}: hard state ${how}, ready in ${Math.round(performance.now() - t0)} ms`);
      } catch (e) {
        leadership.release();
        throw e;
      }
      return leadership as Leadership;
    };
  }

  /** The role's hard state, loaded when this process won the election (a LazyStore opens it then). */
  leaderStore(role: MasterRole): Store {
    const s = this.stores.get(role);
    if (!s) throw new InvalidError(`${role} does not lead: its hard state in etcd is not loaded`);
    return s;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async refreshLeaders(): Promise<void> {
    const got = await Promise.all(MASTER_ROLES.map((r) => readEtcdLeader(this.client, this.prefix, r)));
    MASTER_ROLES.forEach((r, i) => this.leaders.set(r, got[i]!));
  }

  private queueNaming(relPath: string, doc: string | null): void {
    if (!/^naming\/[^/]+$/.test(relPath)) throw new InvalidError(`only naming documents live in etcd, not ${relPath}`);
    this.naming.set(relPath, doc);
    void this.flushNaming();
  }

  /** Writes the queued naming documents, the latest of each; a failed one stays queued and is tried again. */
  private async flushNaming(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.naming.size > 0) {
        const [rel, doc] = this.naming.entries().next().value!;
        const key = `${this.prefix}/${rel}`;
        try {
          if (doc === null) await this.client.delete(key);
          else await this.client.put(key, doc);
          if (this.naming.get(rel) === doc) this.naming.delete(rel);
        } catch (e) {
          this.o.log?.(`cannot write ${key} in etcd: ${(e as Error).message}; retrying`);
          await Bun.sleep(1000);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
