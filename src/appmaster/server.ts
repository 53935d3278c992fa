// The AppMaster shell: election, LMDB, RPC handlers, and the sync loop with ResMan (requests out, hints in).
// Every accepted change is committed to LMDB before it is answered or acted on; requests to ResMan follow from the
// persisted jobs, so a lost request is simply re-sent by the next round.
//
//   every 500 ms: GetHints{since} ──► merge into the hints cache (hints-cache.ts: only changed groups come)
//     ──► (new ResMan epoch: SyncGroups, the full request set) ──► applyNews (every group after a full reply, else
//     only the groups changed or gone, and the pods time may change: AppMasterCore.applyHintChanges)
//     ──► tick (plan every job) ──► persist ──► group specs that changed (blacklist, resources, replica) ──► moves
//     (RescheduleContainer) ──► release removed jobs ──► naming files
import { randomBytes } from "node:crypto";
import { StaleEpochError, UnauthenticatedError, isGalaxyError } from "../core/errors.ts";
import type { ClusterView, Leadership } from "../cluster/index.ts";
import { RpcClient, type Methods, type Principal } from "../rpc/index.ts";
import { LazyStore, openLmdbStore, usableDir, type Store, type Table } from "../store/index.ts";
import { describeCommitFailure } from "../store/commit-error.ts";
import { isRefusal, type GroupGate } from "./admission.ts";
import { AppMasterCore, DEFAULT_CORE_OPTIONS, type CoreOptions, type MoveOrder, type Out } from "./core.ts";
import { EventLog } from "./event-log.ts";
import { groupSpecOf, normalizeJob, type JobRecord } from "./jobs.ts";
import { namingDocument, servicesOf } from "./services.ts";
import { emptyHintsCache, hintNews, hintsRequest, mergeHints, noteNews, type HintsCache } from "./hints-cache.ts";
import { lastHints, type PlacementRec } from "./placements.ts";
import { verifyPodToken } from "./pod-auth.ts";

const FULL_HINTS_TIMEOUT_MS = 30_000;
/** Every call to AppMaster is small: a job description is at most 1 MiB (src/core/spec-limits.ts). */
export const APPMASTER_MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface AppMasterOptions {
  /** LMDB hard state (without etcd). */
  dataDir?: string;
  /** Election, secret and naming files (without etcd); with etcd, only seeds the secret. */
  clusterDir?: string;
  /** etcd endpoints: hard state, election and naming documents in etcd (src/cluster/backend.ts). */
  etcd?: string;
  etcdPrefix?: string;
  resman: string[];
  host: string;
  port: number;
  advertise: string;
  log: (msg: string) => void;
  core?: Partial<CoreOptions>;
}

export class AppMasterShell implements GroupGate {
  core: AppMasterCore | null = null;
  leadership: Leadership | null = null;
  readonly jobsTable: Table<JobRecord>;
  readonly events: EventLog;
  readonly resman: RpcClient;
  private syncedEpoch = -1;
  /** ResMan's hints as last merged (soft: a new leader starts empty and asks for everything). */
  private hintsCache: HintsCache = emptyHintsCache();
  private hintNews = hintNews(true);
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastSyncError = "";
  /** Group specs ResMan has accepted (JSON), and when a refused one may be tried again. */
  private readonly sent = new Map<string, string>();
  private readonly refusedUntil = new Map<string, number>();
  private readonly naming = new Map<string, string>();
  /** Jobs whose naming file could not be written: tried again next round. */
  private readonly namingRetry = new Set<string>();
  private readonly moveErrors = new Map<string, string>();

  constructor(
    readonly store: Store,
    readonly cluster: ClusterView,
    readonly opts: AppMasterOptions,
  ) {
    this.jobsTable = store.table<JobRecord>("jobs");
    this.events = new EventLog(store);
    this.resman = new RpcClient({
      addresses: () => {
        const leader = cluster.readLeader("resman")?.addr;
        return [...new Set([...(leader ? [leader] : []), ...opts.resman])];
      },
      credentials: () => ({ secret: cluster.secret() }),
      timeoutMs: 2000, // small calls: give up on a stalled ResMan quickly and follow the leader file to the next one
    });
    this.placements = store.table<PlacementRec>("placements");
  }

  readonly placements: Table<PlacementRec>;
  /** The placements table as last committed, read once at leadership (the sync round must not decode it each time). */
  private saved = new Map<string, PlacementRec>();

  private jobIds(): Set<string> {
    return new Set(this.mustCore().jobs.keys());
  }

  /** Saves where pods run when that changed (one transaction), for the hints of a later failover. */
  private async rememberPlacements(): Promise<void> {
    const { put, del } = this.mustCore().savedPlacementChanges(this.saved);
    if (put.length === 0 && del.length === 0) return;
    await this.store.write((tx) => {
      for (const [k, v] of put) tx.put(this.placements, k, v);
      for (const k of del) tx.delete(this.placements, k);
    });
    for (const [k, v] of put) this.saved.set(k, v);
    for (const k of del) this.saved.delete(k);
  }

  mustCore(): AppMasterCore {
    if (!this.core) throw new StaleEpochError(0, 0);
    return this.core;
  }

  /**
   * Commits job writes and their events in one transaction. A commit that fails changes nothing: the core's records
   * go back to what they were (AppMasterCore.undo), and the caller gets why ("AppMaster's disk is full, …").
   */
  async persist(out: Out): Promise<void> {
    if (out.writes.length === 0 && out.events.length === 0) return;
    try {
      await this.store.write((tx) => {
        for (const w of out.writes) w.value === null ? tx.delete(this.jobsTable, w.key) : tx.put(this.jobsTable, w.key, w.value);
        this.events.stage(tx, out.events);
      });
    } catch (e) {
      this.core?.undo(out);
      const { reason, error } = await describeCommitFailure("AppMaster", e, this.opts.dataDir);
      this.opts.log(`appmaster: a commit failed, nothing was changed: ${reason}`);
      throw error;
    }
  }

  async becomeLeader(leadership: Leadership): Promise<void> {
    this.leadership = leadership;
    const now = Date.now();
    const jobs = this.jobsTable.list().map((j) => normalizeJob(j));
    this.saved = new Map(this.placements.entries()); // hard state: read only now (a standby shares the data dir)
    this.hintsCache = emptyHintsCache();
    this.hintNews = hintNews(true);
    this.core = new AppMasterCore(leadership.epoch, jobs, now, { ...DEFAULT_CORE_OPTIONS, ...this.opts.core });
    this.opts.log(`appmaster: leader at ${this.opts.advertise}, epoch ${leadership.epoch}, ${jobs.length} jobs`);
    await this.persist({ writes: [], moves: [], events: [{ jobId: "", podId: "", kind: "failover", message: `appmaster ${this.opts.advertise} leads with epoch ${leadership.epoch} (${jobs.length} jobs)`, at: now }] });
    void this.syncLoop();
  }

  /** Checks a worker's pod token: HMAC(cluster secret, container id), given to it by its agent. */
  checkPodToken(containerId: string, token: string): void {
    verifyPodToken(this.cluster.secret(), containerId, token);
  }

  /**
   * Users are ResMan's: ask it at every call, never from a cache, so that removing a user or changing a grant applies
   * to the very next call, and a user removed and added again (a new token) never acts with the old one's grants.
   */
  async authenticateUser(user: string, token: string): Promise<Principal | null> {
    try {
      const r = await this.resman.call("ResMan/Authenticate", { user, token });
      return { kind: "user", user: r.user.name, admin: r.user.admin, grants: Object.fromEntries(r.grants.map((g) => [g.pool, g.allow])) };
    } catch (e) {
      if ((e as { code?: string }).code === "UNAUTHENTICATED") return null;
      throw e;
    }
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

  /** One round (see the picture above). Time-driven decisions run even while ResMan is unreachable. */
  async syncOnce(): Promise<void> {
    const core = this.mustCore();
    let hints: Methods["ResMan/GetHints"]["res"] | null = null;
    let failure: unknown = null;
    try {
      hints = await this.fetchHints(core.epoch);
    } catch (e) {
      failure = e;
    }
    const fresh = hints !== null && hints.epoch !== this.syncedEpoch;
    if (hints && fresh) await this.fullSync(hints.epoch);
    const usable = hints !== null && !fresh && !hints.recovering; // recovering: ResMan's hints are partial
    if (usable) {
      await this.persist(core.applyNews(this.hintNews, this.hintsCache, Date.now()));
      await this.rememberPlacements();
    }
    const out = core.tick(Date.now());
    await this.persist(out);
    if (usable) {
      // groups ResMan holds: those with containers (hinted) and those it accepted this epoch (maybe with none)
      const known = new Set([...this.hintsCache.groups.keys(), ...this.sent.keys()]);
      await this.syncGroups(known);
      await this.performMoves(out.moves);
      await this.release(known);
    }
    this.writeNamingFiles();
    await this.events.trim();
    if (failure) throw failure;
  }

  /** GetHints since the last reply of the same ResMan epoch, merged into the cache (the reply's hints: only news). */
  private async fetchHints(amEpoch: number): Promise<Methods["ResMan/GetHints"]["res"]> {
    const asked = this.hintsCache;
    const req = hintsRequest(asked);
    // Everything (first ask, new ResMan) is big in a big cluster (1M containers: ~90 MiB, ~10 s): give it time.
    const timeoutMs = req.since === 0 ? FULL_HINTS_TIMEOUT_MS : undefined;
    const reply = await this.resman.call("ResMan/GetHints", { amEpoch, all: true, ...req }, { timeoutMs });
    this.hintsCache = mergeHints(asked, reply);
    noteNews(this.hintNews, asked, this.hintsCache, reply);
    if (this.hintsCache.epoch !== reply.epoch) {
      throw new Error(`GetHints: ResMan epoch ${reply.epoch} sent changes to hints of epoch ${asked.epoch}; asking for all of them next`);
    }
    return reply;
  }

  /** After either master changed: ResMan gets AppMaster's whole request set. */
  private async fullSync(epoch: number): Promise<void> {
    const core = this.mustCore();
    const now = Date.now();
    const groups = [...core.jobs.values()].filter((j) => j.state !== "destroying").map((j) => groupSpecOf(j, now));
    const hinted = lastHints(this.saved, core.pods.values(), this.jobIds());
    // Every request and where every pod runs: big in a big cluster (1 M pods: ~70 MiB), so as long as a full GetHints.
    await this.resman.call("ResMan/SyncGroups", { amEpoch: core.epoch, groups, hints: hinted }, { timeoutMs: FULL_HINTS_TIMEOUT_MS });
    this.sent.clear();
    for (const g of groups) this.sent.set(g.id, JSON.stringify(g));
    const first = this.syncedEpoch < 0;
    this.syncedEpoch = epoch;
    this.opts.log(`appmaster: sent ${groups.length} group requests to ResMan epoch ${epoch}`);
    const message = `${first ? "" : "new ResMan leader: "}sent ${groups.length} group requests to ResMan epoch ${epoch}`;
    await this.persist({ writes: [], moves: [], events: [{ jobId: "", podId: "", kind: "failover", message, at: now }] });
  }

  /** Sends every group whose request changed (blacklist, resources, replica, version) or that ResMan lacks. */
  private async syncGroups(known: Set<string>): Promise<void> {
    const core = this.mustCore();
    const now = Date.now();
    for (const j of [...core.jobs.values()]) {
      if (j.state === "destroying" || (known.has(j.id) && this.sent.get(j.id) === JSON.stringify(groupSpecOf(j, now)))) continue;
      if ((this.refusedUntil.get(j.id) ?? 0) > now) continue;
      try {
        await this.sendGroup(j, !known.has(j.id));
        this.refusedUntil.delete(j.id);
      } catch (e) {
        if (!isRefusal(e)) throw e;
        this.refusedUntil.set(j.id, now + 10_000);
        await this.persist(core.groupRefused(j.id, `ResMan refused the group: ${(e as Error).message}`, now));
      }
    }
  }

  async sendGroup(job: JobRecord, create: boolean): Promise<void> {
    const core = this.mustCore();
    const group = groupSpecOf(job, Date.now());
    try {
      await this.resman.call(create ? "ResMan/CreateGroup" : "ResMan/UpdateGroup", { amEpoch: core.epoch, group });
    } catch (e) {
      if (create || !isGalaxyError(e) || e.code !== "NOT_FOUND") throw e;
      await this.resman.call("ResMan/CreateGroup", { amEpoch: core.epoch, group });
    }
    this.sent.set(job.id, JSON.stringify(group));
  }

  /** Failure policy and recreate: ResMan takes each container off its agent and places it again. */
  private async performMoves(moves: MoveOrder[]): Promise<void> {
    const seen = new Set<string>();
    for (const m of moves) {
      if (seen.has(m.pod)) continue;
      seen.add(m.pod);
      try {
        await this.resman.call("ResMan/RescheduleContainer", { amEpoch: this.mustCore().epoch, containerId: m.pod, reason: m.reason });
        // recreate: the group request again, so that ResMan gives the now pending container the new resources
        const job = this.mustCore().jobs.get(m.jobId);
        if (m.recreate && job) await this.sendGroup(job, false).catch(() => {});
        await this.persist(this.mustCore().moved(m, Date.now()));
        this.moveErrors.delete(m.pod);
        this.opts.log(`appmaster: moved ${m.pod} off ${m.agent}: ${m.reason}`);
      } catch (e) {
        const msg = (e as Error).message;
        if (this.moveErrors.get(m.pod) !== msg) this.opts.log(`appmaster: moving ${m.pod} failed: ${msg}; will retry`);
        this.moveErrors.set(m.pod, msg);
      }
    }
  }

  private async release(known: Set<string>): Promise<void> {
    const core = this.mustCore();
    for (const j of core.readyToRelease(Date.now(), 5_000)) {
      try {
        if (known.has(j.id)) await this.resman.call("ResMan/RemoveGroup", { amEpoch: core.epoch, id: j.id });
      } catch (e) {
        if (!isGalaxyError(e) || e.code !== "NOT_FOUND") throw e; // already gone
      }
      await this.persist(core.forget(j.id));
      this.sent.delete(j.id);
      this.naming.delete(j.id);
      this.cluster.removeFile(`naming/${j.id}.json`);
      this.opts.log(`appmaster: job ${j.id} removed`);
    }
  }

  /** <cluster-dir>/naming/<job>.json, replaced atomically whenever a job's endpoints change. */
  private writeNamingFiles(): void {
    const core = this.mustCore();
    const news = core.takeNamingNews(); // only the jobs whose endpoints may have changed (null: all)
    const ids = new Set(news ?? core.jobs.keys());
    for (const id of this.namingRetry) ids.add(id);
    this.namingRetry.clear();
    for (const id of ids) {
      const j = core.jobs.get(id);
      if (!j || j.state === "destroying") continue;
      const doc = namingDocument(j.id, j.spec.name, j.version, servicesOf(j.spec, core.podsNow(j.id, Date.now())));
      if (this.naming.get(j.id) === doc) continue;
      try {
        this.cluster.writeFileAtomic(`naming/${j.id}.json`, doc);
        this.naming.set(j.id, doc);
      } catch (e) {
        this.opts.log(`appmaster: cannot write the naming file of ${j.id}: ${(e as Error).message}`);
        this.namingRetry.add(j.id);
      }
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
