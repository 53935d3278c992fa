// The AppMaster shell: election, LMDB, RPC handlers, and the sync loop with ResMan (requests out, hints in).
// Every accepted change is committed to LMDB before the answer; requests to ResMan follow from the persisted jobs,
// so a lost request is simply re-sent by the next sync.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { StaleEpochError, UnauthenticatedError } from "../core/errors.ts";
import { ClusterDir, leaderCheck, runMaster, type Leadership, type MasterHandle } from "../cluster/index.ts";
import { RpcClient, RpcServer, type Principal } from "../rpc/index.ts";
import { openLmdbStore, type Store, type Table } from "../store/index.ts";
import { AppMasterCore, type JobWrite } from "./core.ts";
import { groupSpecOf, type JobRecord } from "./jobs.ts";
import { registerJobHandlers } from "./handlers.ts";

export interface AppMasterOptions {
  dataDir: string;
  clusterDir: string;
  resman: string[];
  host: string;
  port: number;
  advertise: string;
  log: (msg: string) => void;
}

export class AppMasterShell {
  core: AppMasterCore | null = null;
  leadership: Leadership | null = null;
  readonly jobsTable: Table<JobRecord>;
  readonly resman: RpcClient;
  private syncedEpoch = -1;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private authCache = new Map<string, { at: number; principal: Principal; grants: Map<string, string[]> }>();
  private lastSyncError = "";

  constructor(
    readonly store: Store,
    readonly cluster: ClusterDir,
    readonly opts: AppMasterOptions,
  ) {
    this.jobsTable = store.table<JobRecord>("jobs");
    this.resman = new RpcClient({
      addresses: () => {
        const leader = cluster.readLeader("resman")?.addr;
        return [...new Set([...(leader ? [leader] : []), ...opts.resman])];
      },
      credentials: () => ({ secret: cluster.secret() }),
      timeoutMs: 5000,
    });
  }

  mustCore(): AppMasterCore {
    if (!this.core) throw new StaleEpochError(0, 0);
    return this.core;
  }

  async persist(writes: JobWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await this.store.write((tx) => {
      for (const w of writes) w.value === null ? tx.delete(this.jobsTable, w.key) : tx.put(this.jobsTable, w.key, w.value);
    });
  }

  becomeLeader(leadership: Leadership): void {
    this.leadership = leadership;
    this.core = new AppMasterCore(leadership.epoch, this.jobsTable.list());
    this.opts.log(`appmaster: leader at ${this.opts.advertise}, epoch ${leadership.epoch}, ${this.core.jobs.size} jobs`);
    void this.syncLoop();
  }

  /** Checks a worker's pod token: HMAC(cluster secret, container id), given to it by its agent. */
  checkPodToken(containerId: string, token: string): void {
    const want = createHmac("sha256", this.cluster.secret()).update(containerId).digest();
    const got = Buffer.from(token, "hex");
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw new UnauthenticatedError(`bad pod token for ${containerId}`);
  }

  /** Users are ResMan's: ask it, and cache the answer briefly. */
  async authenticateUser(user: string, token: string): Promise<Principal | null> {
    const key = `${user}\0${token}`;
    const hit = this.authCache.get(key);
    if (hit && Date.now() - hit.at < 10_000) return hit.principal;
    try {
      const r = await this.resman.call("ResMan/Authenticate", { user, token });
      const principal: Principal = { kind: "user", user: r.user.name, admin: r.user.admin };
      this.authCache.set(key, { at: Date.now(), principal, grants: new Map(r.grants.map((g) => [g.pool, g.allow])) });
      return principal;
    } catch (e) {
      if ((e as { code?: string }).code === "UNAUTHENTICATED") return null;
      throw e;
    }
  }

  grantsOf(user: string): Map<string, string[]> {
    for (const [k, v] of this.authCache) if (k.startsWith(`${user}\0`)) return v.grants;
    return new Map();
  }

  private async syncLoop(): Promise<void> {
    if (!this.leadership?.isLeader()) return;
    try {
      await this.syncOnce();
      if (this.lastSyncError) this.opts.log("appmaster: ResMan reachable again");
      this.lastSyncError = "";
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== this.lastSyncError) this.opts.log(`appmaster: sync with ResMan failed: ${msg}`);
      this.lastSyncError = msg;
    }
    this.timer = setTimeout(() => void this.syncLoop(), 500);
  }

  /** One round: full requests after any leader change, missing groups created, released groups forgotten, hints in. */
  async syncOnce(): Promise<void> {
    const core = this.mustCore();
    const hints = await this.resman.call("ResMan/GetHints", { amEpoch: core.epoch, all: true });
    if (hints.epoch !== this.syncedEpoch) {
      const groups = [...core.jobs.values()].filter((j) => j.state !== "destroying").map(groupSpecOf);
      await this.resman.call("ResMan/SyncGroups", { amEpoch: core.epoch, groups });
      this.syncedEpoch = hints.epoch;
      this.opts.log(`appmaster: sent ${groups.length} group requests to ResMan epoch ${hints.epoch}`);
      return;
    }
    if (hints.recovering) return; // ResMan is still rebuilding placement from agents; its hints are partial
    const known = new Set(hints.hints.map((h) => h.groupId));
    for (const j of core.jobs.values()) {
      if (j.state !== "destroying" && !known.has(j.id)) await this.resman.call("ResMan/CreateGroup", { amEpoch: core.epoch, group: groupSpecOf(j) });
    }
    const now = Date.now();
    for (const j of core.readyToRelease(now, 5_000)) {
      if (known.has(j.id)) await this.resman.call("ResMan/RemoveGroup", { amEpoch: core.epoch, id: j.id });
      await this.persist(core.forget(j.id));
      this.opts.log(`appmaster: job ${j.id} removed`);
    }
    if (!hints.recovering) await this.persist(core.applyHints(hints.hints, now));
  }

  /** Sends the group request for a job now (the sync loop would, a moment later). */
  async requestGroup(job: JobRecord): Promise<void> {
    try {
      await this.resman.call("ResMan/CreateGroup", { amEpoch: this.mustCore().epoch, group: groupSpecOf(job) });
    } catch (e) {
      this.opts.log(`appmaster: group request for ${job.id} deferred: ${(e as Error).message}`);
    }
  }

  ready(): boolean {
    return this.core !== null;
  }

  stopTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

export const randomSuffix = (): string => randomBytes(2).toString("hex");

export async function startAppMaster(opts: AppMasterOptions): Promise<MasterHandle> {
  const cluster = new ClusterDir(opts.clusterDir);
  const store = openLmdbStore(opts.dataDir);
  const shell = new AppMasterShell(store, cluster, opts);
  const server = new RpcServer({
    role: "appmaster",
    secret: () => cluster.secret(),
    authenticateUser: (u, t) => shell.authenticateUser(u, t),
    leaderCheck: leaderCheck("appmaster", cluster, opts.advertise, shell),
    health: () => ({ leader: shell.leadership?.isLeader() === true, epoch: shell.leadership?.epoch ?? 0 }),
  });
  registerJobHandlers(server, shell);
  return runMaster({ role: "appmaster", cluster, advertise: opts.advertise, host: opts.host, port: opts.port, server, shell, log: opts.log, close: () => store.close() });
}
