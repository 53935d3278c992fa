// The ResMan shell: election, hard state (LMDB, or etcd with --etcd), RPC handlers and the tick timer around ResManCore.
// Order for every call: decide (core: an Out) -> persist (one transaction) -> send (parked watches) -> advance -> answer.
import { randomBytes } from "node:crypto";
import { InvalidError, NotFoundError, UnauthenticatedError } from "../core/errors.ts";
import { ClusterDir, type ClusterView, type Leadership } from "../cluster/index.ts";
import type { Principal, RpcServer } from "../rpc/index.ts";
import type { Grant, GroupSpec } from "../rpc/types.ts";
import { LazyStore, openLmdbStore, usableDir, type Store } from "../store/index.ts";
import { describeCommitFailure } from "../store/commit-error.ts";
import { ResManCore, type Out } from "./core.ts";
import { CapsWatch } from "./caps-watch.ts";
import { DEFAULT_CONFIG, type AgentHard, type GroupRec, type QuotaRec, type ResManConfig, type TableName, type Write } from "./state.ts";
import { UserDirectory, type UserHard } from "./users.ts";
import { containerInfo, hintsReply } from "./views.ts";

/** SyncGroups carries AppMaster's every request and where each container runs (~70 B each): room for millions. */
export const SYNC_GROUPS_MAX_BYTES = 512 * 1024 * 1024;

export { requireAdmin } from "./authz.ts";

export interface ResManOptions {
  /** LMDB hard state (without etcd). */
  dataDir?: string;
  /** Election and secret (without etcd); with etcd, only seeds the secret. */
  clusterDir?: string;
  /** etcd endpoints: hard state and election in etcd (src/cluster/backend.ts). */
  etcd?: string;
  etcdPrefix?: string;
  host: string;
  port: number;
  advertise: string;
  config?: Partial<ResManConfig>;
  /** Creates user `admin` with this token on first start (used by `galaxy up`). */
  bootstrapAdminToken?: string;
  log: (msg: string) => void;
  /** One small rehearsal of a takeover, a standby's warm-up slice (see runMaster). */
  warmUp?: () => void;
}

export class ResManShell {
  core: ResManCore | null = null;
  users = new UserDirectory([], []);
  leadership: Leadership | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  readonly watches = new CapsWatch(() => this.mustCore());

  constructor(
    readonly store: Store,
    readonly cluster: ClusterView,
    readonly opts: ResManOptions,
  ) {}

  /** Commits writes in one transaction (resolves after the commit is durable). */
  async persist(writes: Write[]): Promise<void> {
    if (writes.length === 0) return;
    try {
      await this.store.write((tx) => {
        for (const w of writes) {
          const t = this.store.table<unknown>(w.table satisfies TableName);
          if (w.value === null) tx.delete(t, w.key);
          else tx.put(t, w.key, w.value);
        }
      });
    } catch (e) {
      // users and grants go back to what is committed; pools and quotas are changed only after their commit
      this.users.load(this.store.table<UserHard>("users").list(), this.store.table<Grant>("grants").list());
      const { reason, error } = await describeCommitFailure("ResMan", e, this.opts.dataDir);
      this.opts.log(`resman: a commit failed: ${reason}`);
      throw error;
    }
  }

  /** After an input: persist its writes, then send what the core's outbox holds. */
  async commit(out: Out): Promise<void> {
    await this.persist(out.writes);
    this.send(out, Date.now());
  }

  /** Sends an Out (parked watches of the agents whose caps changed are answered) and advances the core's outbox. */
  send(out: Out, now: number): void {
    this.watches.poke(now, out.capsChanged);
    this.mustCore().advance();
  }

  mustCore(): ResManCore {
    if (!this.core) throw new InvalidError("ResMan is starting");
    return this.core;
  }

  async becomeLeader(leadership: Leadership): Promise<void> {
    this.leadership = leadership;
    const now = Date.now();
    // Read hard state only now: a standby shares the data dir, and the old leader wrote to it until it died.
    this.users = new UserDirectory(this.store.table<UserHard>("users").list(), this.store.table<Grant>("grants").list());
    const writes: Write[] = [];
    const pools = this.store.table<{ name: string }>("pools").list().map((p) => p.name);
    if (this.store.table("meta").get("initialized") === undefined) {
      // A new cluster gets pool `default`; an operator who removes it later keeps it removed.
      writes.push({ table: "pools", key: "default", value: { name: "default", createdAt: now } });
      writes.push({ table: "meta", key: "initialized", value: now });
      pools.push("default");
    }
    if (this.opts.bootstrapAdminToken && !this.users.users.has("admin")) {
      writes.push(...this.users.addUser("admin", true, this.opts.bootstrapAdminToken, randomBytes(16).toString("hex"), now));
    }
    await this.persist(writes);
    this.core = new ResManCore(
      { ...DEFAULT_CONFIG, ...this.opts.config },
      leadership.epoch,
      {
        agents: this.store.table<AgentHard>("agents").list(),
        groups: this.store.table<GroupRec>("groups").list(),
        pools,
        quotas: this.store.table<QuotaRec>("quotas").list(),
        safeMode: this.store.table<boolean>("meta").get("safeMode") === true,
      },
      now,
      this.users,
    );
    this.timer = setInterval(() => {
      if (!this.core) return;
      const now = Date.now();
      this.send(this.core.tick(now), now); // new placements go out now, not at each agent's next heartbeat
    }, 100);
    this.opts.log(`resman: leader at ${this.opts.advertise}, epoch ${leadership.epoch}; recovering placement from agents`);
  }

  async authenticateUser(user: string, token: string): Promise<Principal | null> {
    const u = this.users.authenticate(user, token);
    return u ? { kind: "user", user: u.name, admin: u.admin } : null;
  }

  ready(): boolean {
    return this.core !== null;
  }

  stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.watches.close("this ResMan is no longer the leader");
  }
}

/** After a failed commit: the group as it was before the request (best effort; what fails is logged). */
function undoGroup(s: ResManShell, core: ResManCore, id: string, before: GroupSpec | undefined): void {
  try {
    if (before) core.createGroup(before, Date.now());
    else if (core.groups.has(id)) core.removeGroup(id);
  } catch (e) {
    s.opts.log(`resman: could not put group ${id} back after a failed commit: ${(e as Error).message}`);
  }
}

/** AppMaster's requests and agents' heartbeats (internal: the cluster secret). */
export function registerInternalHandlers(server: RpcServer, s: ResManShell): void {
  server.register("ResMan/Heartbeat", async (req) => {
    const { reply, writes } = s.mustCore().heartbeat(req, Date.now());
    await s.persist(writes); // what to send waits for the next tick's send (one poke per tick, not per heartbeat)
    return reply;
  }, { auth: "internal" });
  server.register("ResMan/WatchCaps", (req) => s.watches.watch(req, Date.now()), { auth: "internal" });
  // AppMaster's group requests: fenced by its epoch, decided, persisted, answered with the group as ResMan holds it.
  // A commit that fails puts the group back as it was (a new one is removed again, a changed one gets its old spec).
  const groupRequest = async (amEpoch: number, id: string, change: (core: ResManCore, now: number) => Out) => {
    const core = s.mustCore();
    core.fenceAm(amEpoch);
    const before = core.groups.get(id)?.spec;
    const out = change(core, Date.now());
    try {
      await s.persist(out.writes);
    } catch (e) {
      undoGroup(s, core, id, before);
      throw e;
    }
    s.send(out, Date.now());
    return { epoch: core.epoch, group: core.groups.get(id)!.spec };
  };
  server.register("ResMan/CreateGroup", (req) => groupRequest(req.amEpoch, req.group.id, (c, now) => c.createGroup(req.group, now)), { auth: "internal" });
  server.register("ResMan/UpdateGroup", (req) => groupRequest(req.amEpoch, req.group.id, (c, now) => c.updateGroup(req.group, now)), { auth: "internal" });
  server.register("ResMan/ScaleGroup", (req) => groupRequest(req.amEpoch, req.id, (c, now) => c.scaleGroup(req.id, req.replica, now)), { auth: "internal" });
  server.register("ResMan/RemoveGroup", async (req) => {
    s.mustCore().fenceAm(req.amEpoch);
    if (!s.mustCore().groups.has(req.id)) throw new NotFoundError("group", req.id);
    await s.persist([{ table: "groups", key: req.id, value: null }]); // committed first: a failure leaves it whole
    s.send(s.mustCore().removeGroup(req.id), Date.now());
    return {};
  }, { auth: "internal" });
  server.register("ResMan/SyncGroups", async (req) => {
    const core = s.mustCore();
    core.fenceAm(req.amEpoch);
    const { unknown, ...out } = core.syncGroups(req.groups, Date.now(), req.hints);
    await s.commit(out);
    return { epoch: core.epoch, unknown };
  }, { auth: "internal", maxBodyBytes: SYNC_GROUPS_MAX_BYTES });
  server.register("ResMan/RescheduleContainer", (req) => {
    const core = s.mustCore();
    core.fenceAm(req.amEpoch);
    const { container, ...out } = core.rescheduleContainer(req.containerId, req.reason);
    s.send(out, Date.now());
    return containerInfo(core, container);
  }, { auth: "internal" });
  server.register("ResMan/GetHints", (req) => {
    const core = s.mustCore();
    core.fenceAm(req.amEpoch);
    return hintsReply(core, req);
  }, { auth: "internal" });
  server.register("ResMan/Authenticate", async (req) => {
    const u = s.users.authenticate(req.user, req.token);
    if (!u) throw new UnauthenticatedError(`user ${req.user}: invalid token`);
    return { user: s.users.publicUser(u), grants: s.users.listGrants(u.name) };
  }, { auth: "internal" });
}
