// The agent shell: LMDB checkpoint, isolation driver, heartbeat loop to the ResMan leader, the monitor, and its own
// RPC server (ListContainers for admins, ReadLogs for `galaxy logs` with the user's credentials).
//
//   every interval: refresh workers ──► Heartbeat(full report, host usage, pressure) ──► reply epoch >= seen?
//       ──► caps changed? ──► grant(caps): checkpoint + create new containers; destroy what left the set
import { createHmac } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { selfCommand } from "../sys/self.ts";
import { HostWorkerProc, hostWorkerCgroupName } from "./host-worker-proc.ts";
import { ClusterDir } from "../cluster/index.ts";
import { NotFoundError } from "../core/errors.ts";
import { RpcClient, RpcServer } from "../rpc/index.ts";
import type { AgentInfo, HeartbeatReply } from "../rpc/types.ts";
import { openLmdbStore, type Store } from "../store/index.ts";
import { checkAdmin, checkLogAccess, mayReadLogs, UserAuthenticator } from "./auth.ts";
import { detectDriver } from "./cgroup/index.ts";
import type { CgroupDriver } from "./cgroup/driver.ts";
import { type HostLayout, prepareLayout } from "./container-fs.ts";
import { ContainerManager } from "./containers.ts";
import { acceptEpoch, agentKey, newerCaps, WATCH_MS, WATCH_TIMEOUT_MS } from "./core.ts";
import { type Namespace, isolationOf, resolveNamespaces } from "./launch.ts";
import { toKeptContainer } from "./gc.ts";
import type { UidRange } from "./task-uids.ts";
import { readLogs } from "./logs.ts";
import { registerExec } from "./exec-run.ts";
import { ReportDelta } from "./report-delta.ts";
import { Monitor } from "./monitor.ts";
import { sweepLeftovers } from "./cleanup.ts";
import { formatDuration } from "../core/units.ts";
import { PersistentReporter } from "./persistent.ts";
import { fsFree, ioCannotEnforce, isRoot } from "./volume-io.ts";
import type { VolumeDevice } from "./volumes.ts";

export interface AgentOptions {
  dataDir: string;
  clusterDir?: string;
  /** more directories of Galaxy's that containers' namespaces hide (`--hide`) */
  hidden?: string[];
  resman: string[];
  appmaster: string[];
  secret?: string;
  host: string;
  port: number;
  advertise: string;
  pool: string;
  labels: string[];
  millicores: number;
  memory: number;
  /** bytes for workspaces on the data dir's disk */
  disk: number;
  volumes: VolumeDevice[];
  portMin: number;
  portMax: number;
  stopGraceMs: number;
  gcDelayMs: number;
  diskGraceMs: number;
  namespaces: Namespace[] | "auto";
  /** the uids tasks run as, one per container */
  taskUids: UidRange;
  usageIntervalMs: number;
  /** one worker for every namespaced container here (`appworker --host`, issue 22) instead of one per container */
  hostWorker?: boolean;
  log: (msg: string) => void;
}

export interface AgentHandle {
  readonly endpoint: string;
  readonly isolation: string;
  readonly namespaces: Namespace[];
  stop(): Promise<void>;
}

export async function startAgent(o: AgentOptions): Promise<AgentHandle> {
  const cluster = o.clusterDir ? new ClusterDir(o.clusterDir) : null;
  const secret = () => o.secret ?? cluster?.secret() ?? "";
  if (!secret()) throw new Error("the agent needs the cluster secret: give --cluster-dir or --secret");
  const store = openLmdbStore(`${o.dataDir}/state`);
  const driver = detectDriver();
  const has = (tool: string) => Bun.which(tool) !== null;
  const ns = resolveNamespaces(o.namespaces, { root: isRoot(), isolation: driver.kind, hasUnshare: has("unshare"), hasNsenter: has("nsenter") });
  const drop = isRoot() && has("setpriv");
  const isolation = isolationOf(driver.kind, { root: isRoot(), hasSetpriv: has("setpriv"), namespaces: ns.namespaces });
  o.log(`agent: ${o.advertise} isolation ${driver.describe()}; ${ns.note}; ${drop ? `tasks run as uids ${o.taskUids.min}-${o.taskUids.max}` : isolation}`);
  const layout: HostLayout = { dataDir: o.dataDir, agentKey: agentKey(o.advertise), devices: o.volumes, clusterDir: o.clusterDir, hidden: o.hidden ?? [] };
  prepareLayout(layout);
  const workerEnv = {
    ...(o.clusterDir ? { GALAXY_CLUSTER_DIR: o.clusterDir } : {}),
    ...(o.appmaster.length ? { GALAXY_APPMASTER: o.appmaster.join(",") } : {}),
  };
  // made whenever containers have namespaces: those an agent started with --host-worker stay served after a restart
  // without it (the host worker starts only when a container needs it)
  const hostWorker = ns.namespaces.length > 0
    ? new HostWorkerProc({
      dir: join(o.dataDir, "host-worker"), argv: [...selfCommand(), "appworker"], driver, cgroup: hostWorkerCgroupName(o.advertise), log: o.log,
      env: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", HOME: process.env.HOME ?? "/root", TMPDIR: process.env.TMPDIR ?? "/tmp", ...workerEnv },
    })
    : undefined;
  if (o.hostWorker && !hostWorker) o.log("agent: no host worker without namespaces: a worker per container");
  const manager = new ContainerManager({
    endpoint: o.advertise, layout, driver, store, namespaces: ns.namespaces, stopGraceMs: o.stopGraceMs, gcDelayMs: o.gcDelayMs, log: o.log,
    taskUids: isRoot() ? o.taskUids : null, dropPrivileges: drop, waitWorkerUp: true, workerEnv, ...(hostWorker ? { hostWorker } : {}), hostWorkerForNew: !!o.hostWorker,
    podToken: (id) => createHmac("sha256", secret()).update(id).digest("hex"),
  });
  await sweepLeftovers(manager, driver, layout, o.log);
  await manager.recover();
  const resman = new RpcClient({ addresses: () => resmanAddresses(o, cluster), credentials: () => ({ secret: secret() }), timeoutMs: 2000 }); // a heartbeat is small: a stalled ResMan is given up on quickly, so agents follow a new leader within the recovery window
  // no filesystem quota is set (this kernel family ships without CONFIG_QUOTA): sizes are the disk watcher's
  const sizes = `disk sizes as quotas: a container over a volume's or workspace's size is killed after --disk-grace (${formatDuration(o.diskGraceMs)}), measured every 10 s`;
  const info = { ...agentInfo(o, isolation, Date.now()), cannotEnforce: [...ioCannotEnforce(driver.kind), sizes] };
  const server = registerRpc(o, info, manager, new UserAuthenticator(resman), secret);
  server.listen(o.host, o.port);
  const monitor = new Monitor(manager, driver, { memory: o.memory, intervalMs: o.usageIntervalMs, diskEveryMs: 10_000, diskGraceMs: o.diskGraceMs, log: o.log });
  monitor.start();
  const persistent = new PersistentReporter({ dataDir: o.dataDir, agentKey: layout.agentKey, devices: o.volumes }, o.log);
  const loop = new HeartbeatLoop(o, info, store, manager, monitor, resman, persistent);
  loop.start();
  const stalls = watchStalls(o.log);
  return {
    endpoint: o.advertise,
    isolation: driver.kind,
    namespaces: ns.namespaces,
    async stop() {
      loop.stop();
      clearInterval(stalls);
      monitor.stop();
      await server.stop();
      await store.close();
    },
  };
}

function registerRpc(o: AgentOptions, info: AgentInfo, manager: ContainerManager, auth: UserAuthenticator, secret: () => string): RpcServer {
  const server = new RpcServer({
    role: "agent", secret, authenticateUser: (u, t) => auth.authenticate(u, t),
    health: () => ({ endpoint: o.advertise, isolation: info.isolation }),
  });
  server.register("Agent/ListContainers", (_req, ctx) => {
    checkAdmin(ctx.principal);
    return { agent: info, containers: manager.reports(Date.now()) };
  });
  server.register("Agent/ReadLogs", (req, ctx) => {
    const where = manager.workspaceOf(req.containerId);
    if (!where) throw new NotFoundError("container", req.containerId);
    checkLogAccess(ctx.principal, where.owner, o.pool);
    return readLogs(where.workspace, req);
  });
  registerExec(server, manager, o.pool); // galaxy exec (exec.ts, exec-run.ts)
  server.register("Agent/FindKept", (req, ctx) => {
    const kept = manager.gc.list().filter((k) => k.containerId.startsWith(req.prefix) && mayReadLogs(ctx.principal, k.owner, o.pool));
    return { kept: kept.map(toKeptContainer) };
  });
  return server;
}

function resmanAddresses(o: AgentOptions, cluster: ClusterDir | null): string[] {
  const leader = cluster?.readLeader("resman")?.addr;
  return [...new Set([...(leader ? [leader] : []), ...o.resman])];
}

/** What the agent tells ResMan about itself; stable for the agent's life (ResMan persists it when it changes). */
export function agentInfo(o: AgentOptions, isolation: string, startedAt: number): AgentInfo {
  const sum = (m: string) => o.volumes.filter((v) => v.medium === m).reduce((s, v) => s + v.size, 0);
  return {
    endpoint: o.advertise, pool: o.pool, labels: o.labels,
    total: { millicores: o.millicores, memory: o.memory, disk: o.disk + sum("disk"), ssd: sum("ssd") },
    portMin: o.portMin, portMax: o.portMax, isolation, hostname: hostname(), version: "0.1.0",
    startedAt, maxBatch: 0, volumes: o.volumes.map((v) => ({ medium: v.medium, path: v.path, size: v.size, free: fsFree(v.path) })),
    data: [], cannotEnforce: [],
  };
}

/**
 * Heartbeats every interval (proof of life, full report), and beside them a blocking WatchCaps query that brings new
 * caps as soon as ResMan decides them. New caps from either are granted, then reported at once by an extra heartbeat.
 */
/**
 * Logs when the agent's event loop was held (a timer 1 s late or more): whatever held it also held the heartbeat, and
 * ResMan declares an agent silent for agentTimeoutMs (10 s) dead. A diagnosis aid for issue 22.
 */
function watchStalls(log: (msg: string) => void): ReturnType<typeof setInterval> {
  let last = performance.now();
  const t = setInterval(() => {
    const now = performance.now();
    const late = now - last - 500;
    if (late >= 1000) log(`agent: event loop held for ${Math.round(late)} ms (heartbeats wait meanwhile)`);
    last = now;
  }, 500);
  t.unref?.();
  return t;
}

class HeartbeatLoop {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private epochSeen: number;
  private capsEpoch = 0;
  private capsVersion = 0;
  private intervalMs = 1000;
  private lastError = "";
  private inFlight = false;
  /** heartbeat again as soon as the one in flight is answered (new caps arrived meanwhile) */
  private again = false;
  /** ResMan (this leader) knows this agent in full: only then is a watch worth parking there. */
  private registered = false;
  /** The last reply said the leader parks no watches yet (it is recovering). */
  private watchBlocked = false;
  /** The granted containers and generations, to tell a new cap set from the same one under a new epoch. */
  private capsKey = "";
  private readonly cancel = new AbortController();
  /** Full reports only when ResMan may not know what runs here; else what changed (report-delta.ts). */
  private readonly delta = new ReportDelta();

  constructor(
    readonly o: AgentOptions,
    readonly info: AgentInfo,
    readonly store: Store,
    readonly manager: ContainerManager,
    readonly monitor: Monitor,
    readonly resman: RpcClient,
    readonly persistent: PersistentReporter,
  ) {
    this.epochSeen = store.table<number>("meta").get("epochSeen") ?? 0;
  }

  start(): void {
    void this.beat();
    void this.watchLoop();
  }

  stop(): void {
    this.stopped = true;
    this.cancel.abort();
    if (this.timer) clearTimeout(this.timer);
  }

  /** A heartbeat now, or right after the one in flight: ResMan learns at once what became of new caps. */
  private beatSoon(): void {
    if (this.stopped) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    void this.beat();
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    this.inFlight = true;
    this.timer = null;
    let changed = false;
    try {
      this.manager.refresh();
      const now = Date.now();
      // ResMan reads an agent's info on full reports only: new or deleted persistent data makes this one full
      const data = this.persistent.data([...this.manager.held.values()].map((c) => `${c.id}:${c.state}`), now);
      if (data !== this.info.data) {
        this.info.data = data;
        this.delta.wantFull();
      }
      for (const v of this.info.volumes) v.free = fsFree(v.path); // shown by galaxy agents (ResMan reads it on full reports)
      const batch = this.delta.next(this.manager.reports(now), now);
      const reply = await this.resman.call("ResMan/Heartbeat", {
        agent: this.info, epochSeen: this.epochSeen, capsEpoch: this.capsEpoch, capsVersion: this.capsVersion, full: batch.full,
        containers: batch.containers, usage: this.monitor.hostUsage, pressure: this.monitor.pressure,
      }).catch((e: unknown) => {
        this.delta.failed();
        throw e;
      });
      this.delta.commit();
      if (reply.wantFull) {
        this.delta.wantFull();
        this.again = true; // ResMan cannot speak for this agent until it has the full report: send it at once
      }
      changed = this.apply(reply);
      this.registered = !reply.wantFull && reply.watch; // (no watches while a new leader recovers)
      this.watchBlocked = !reply.wantFull && !reply.watch;
      if (this.lastError) this.o.log(`agent: heartbeat to ResMan works again`);
      this.lastError = "";
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== this.lastError) this.o.log(`agent: heartbeat failed: ${msg}`);
      this.lastError = msg;
    }
    this.inFlight = false;
    // New caps (from this reply or a watch meanwhile) are reported at once; a reply to such an extra heartbeat that
    // again brings new caps waits for the interval, so the agent never heartbeats in a loop.
    const soon = this.again || changed;
    this.again = false;
    // A recovering leader parks no watches (its replies say watch: false): with a long interval, ask again within a
    // few seconds rather than an interval, so that caps come by watch again soon after its recovery.
    const next = soon ? 0 : this.watchBlocked ? Math.min(this.intervalMs, 2000 + Math.random() * 1000) : this.intervalMs;
    if (!this.stopped) this.timer = setTimeout(() => void this.beat(), next);
  }

  /** WatchCaps after WatchCaps while the agent lives; after a failure, again one interval later. */
  private async watchLoop(): Promise<void> {
    while (!this.stopped) {
      if (this.registered) {
        try {
          const reply = await this.resman.call("ResMan/WatchCaps", {
            endpoint: this.info.endpoint, epochSeen: this.epochSeen, capsEpoch: this.capsEpoch, capsVersion: this.capsVersion, waitMs: WATCH_MS,
          }, { timeoutMs: WATCH_TIMEOUT_MS, signal: this.cancel.signal, firstOnly: true });
          if (this.apply(reply)) this.beatSoon();
          continue;
        } catch {
          // The heartbeat loop logs what is wrong with ResMan; caps still come with heartbeats. A broken watch is
          // also the first sign of a leader change: the next heartbeat is full, so a new leader learns what runs
          // here in one round trip instead of asking for it (want_full) first.
          this.delta.wantFull();
          this.registered = false; // watch again once a heartbeat has told the (maybe new) leader what runs here
        }
      }
      await Bun.sleep(Math.min(this.intervalMs, 1000)); // a local check: watch soon after a heartbeat makes it worth it
    }
  }

  /** Takes a reply from a leader whose epoch is not older than one seen; returns whether containers came or went. */
  private apply(reply: HeartbeatReply): boolean {
    if (!acceptEpoch(this.epochSeen, reply.epoch)) {
      this.o.log(`agent: ignored a reply from epoch ${reply.epoch}; epoch ${this.epochSeen} was seen`);
      return false;
    }
    if (reply.epoch > this.epochSeen) {
      this.epochSeen = reply.epoch;
      this.store.writeSync((tx) => tx.put(this.store.table<number>("meta"), "epochSeen", reply.epoch));
    }
    if (reply.intervalMs > 0) this.intervalMs = reply.intervalMs;
    this.persistent.drop(reply.dropData ?? [], new Set(this.manager.held.keys()));
    if (!reply.capsChanged || !newerCaps(reply, this.capsEpoch, this.capsVersion)) return false;
    this.manager.grant(reply.caps);
    this.capsEpoch = reply.epoch;
    this.capsVersion = reply.capsVersion;
    // Worth an immediate heartbeat only when containers come or go (not when the same set moves to a new epoch).
    const key = reply.caps.map((c) => `${c.containerId}@${c.grantedAt}`).sort().join(",");
    const moved = key !== this.capsKey;
    this.capsKey = key;
    return moved;
  }
}
