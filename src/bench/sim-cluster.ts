// A ResMan process (and optionally a standby) with fleets of simulated agents in child processes: what the
// cluster and failover benchmarks share. Groups are created through ResMan/CreateGroup with the cluster secret,
// as AppMaster would.
import { randomBytes } from "node:crypto";
import { EtcdClient, readEtcdLeader, type LeaderInfo } from "../cluster/index.ts";
import { ClusterDir } from "../cluster/cluster-dir.ts";
import { startEtcd, type EtcdCluster } from "../cluster/etcd-local.ts";
import { InternalError } from "../core/errors.ts";
import type { RpcClient } from "../rpc/index.ts";
import type { StatusReply } from "../rpc/types.ts";
import { FleetProcess } from "./fleet-process.ts";
import { benchDir, cpuSecondsOf, freePortPair, internalClient, onInterrupt, startResManProc, waitUntil, type BenchDir, type BenchEtcd, type ResManProc } from "./procs.ts";
import { groupSpecOf } from "./protocol.ts";
import type { FleetStats } from "./sim-fleet.ts";
import type { GroupDef, Shape } from "./workload.ts";

export interface SimClusterOptions {
  galaxy: string[];
  /** Runs ResMan with this command instead of `galaxy` (profiling: bun --cpu-prof src/main.ts). */
  resmanCommand?: string[];
  agents: number;
  /** Child processes the agents are split over. */
  fleets: number;
  shape: Shape;
  /** ResMan's --heartbeat-interval (the agents follow the replies' interval). */
  heartbeatIntervalMs: number;
  recoveryWindow: string;
  /** ResMan's --agent-timeout (default its own, 10 s). */
  agentTimeout?: string;
  heartbeatOnly: boolean;
  maxInFlight: number;
  /** Simulated agents send through fetch's shared pool rather than their own connections (for comparison). */
  sharedPool?: boolean;
  standby: boolean;
  /**
   * ResMans on etcd, each with its own data dir: "local" starts a 3-member etcd on loopback for the run (stopped
   * after), else the endpoints URL[,URL...] of a running one (a fresh key prefix per run).
   */
  etcd?: string;
  log: (msg: string) => void;
}

export class SimCluster {
  readonly fleets: FleetProcess[] = [];
  standby: ResManProc | null = null;
  groupsCreated = 0;
  private readonly untrap = onInterrupt(() => this.stop());

  private constructor(
    readonly o: SimClusterOptions,
    readonly dir: BenchDir,
    readonly resman: ResManProc,
    readonly client: RpcClient,
    readonly port: number,
    readonly etcd: BenchEtcd | undefined,
    private readonly localEtcd: EtcdCluster | null,
  ) {}

  static async start(o: SimClusterOptions): Promise<SimCluster> {
    const dir = benchDir("cluster");
    let localEtcd: EtcdCluster | null = null;
    let port = 0;
    try {
      if (o.etcd === "local") localEtcd = await startEtcd(3);
      port = await freePortPair();
    } catch (e) {
      await localEtcd?.stop();
      dir.cleanup();
      throw e;
    }
    const etcd = o.etcd ? { endpoints: localEtcd?.endpoints ?? o.etcd, prefix: `/galaxy-bench-${randomBytes(4).toString("hex")}` } : undefined;
    if (localEtcd) o.log(`etcd: 3 members at ${localEtcd.endpoints}`);
    const resman = startResManProc({
      galaxy: o.resmanCommand ?? o.galaxy, dir, name: "resman-a", port, heartbeatInterval: `${o.heartbeatIntervalMs}ms`, recoveryWindow: o.recoveryWindow,
      extra: o.agentTimeout ? ["--agent-timeout", o.agentTimeout] : [], etcd, seed: true,
    });
    const c = new SimCluster(o, dir, resman, internalClient(dir, [resman.addr, `127.0.0.1:${port + 1}`]), port, etcd, localEtcd);
    try {
      await waitUntil("ResMan to lead", async () => !(await c.status()).recovering, 30_000);
      if (o.standby) await c.startStandby();
      await c.startFleets();
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  private async startStandby(): Promise<void> {
    this.standby = startResManProc({
      galaxy: this.o.resmanCommand ?? this.o.galaxy, dir: this.dir, name: "resman-b", port: this.port + 1,
      heartbeatInterval: `${this.o.heartbeatIntervalMs}ms`, recoveryWindow: this.o.recoveryWindow,
      extra: this.o.agentTimeout ? ["--agent-timeout", this.o.agentTimeout] : [], etcd: this.etcd,
    });
    await waitUntil("the standby to wait on the lock", () => this.standby!.log().includes("standby; leader is"), 30_000);
  }

  private async startFleets(): Promise<void> {
    const t0 = Date.now();
    const per = Math.ceil(this.o.agents / this.o.fleets);
    for (let f = 0; f < this.o.fleets; f++) {
      const count = Math.min(per, this.o.agents - f * per);
      if (count <= 0) break;
      this.fleets.push(FleetProcess.start({
        resman: [this.resman.addr, `127.0.0.1:${this.port + 1}`], clusterDir: this.dir.clusterDir, count, shape: this.o.shape,
        fleet: f, intervalMs: 0, heartbeatOnly: this.o.heartbeatOnly, maxInFlight: this.o.maxInFlight,
        sharedPool: this.o.sharedPool ?? false,
      }, this.o.galaxy));
    }
    await Promise.all(this.fleets.map((f) => f.ready));
    await waitUntil(`${this.o.agents} agents alive`, async () => {
      const s = await this.status();
      return s.agentsAlive >= this.o.agents;
    }, 120_000 + this.o.agents * 10, 250);
    this.o.log(`${this.o.agents} simulated agents alive after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  /** The ResMan leader: its leader file in the cluster dir, or its leader key in etcd. */
  async leader(): Promise<LeaderInfo> {
    if (this.etcd) {
      const l = await readEtcdLeader(this.etcdClient, this.etcd.prefix, "resman");
      if (!l) throw new InternalError("no resman leader key in etcd");
      return { ...l, renewed: l.since };
    }
    const info = new ClusterDir(this.dir.clusterDir).readLeader("resman");
    if (!info) throw new InternalError("no readable resman.leader");
    return info;
  }

  private get etcdClient(): EtcdClient {
    return (this.etcdClientCached ??= EtcdClient.fromList(this.etcd!.endpoints));
  }
  private etcdClientCached: EtcdClient | null = null;

  status(): Promise<StatusReply> {
    return this.client.call("ResMan/Status", {}, { timeoutMs: 30_000 });
  }

  async createGroup(g: GroupDef): Promise<void> {
    await this.client.call("ResMan/CreateGroup", { amEpoch: 1, group: groupSpecOf(g) });
    this.groupsCreated++;
  }

  /** Creates the groups, `parallel` calls at a time. */
  async createGroups(groups: GroupDef[], parallel = 8): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < groups.length) await this.createGroup(groups[next++]!);
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  }

  async track(groups: string[]): Promise<void> {
    await Promise.all(this.fleets.map((f) => f.track(groups)));
  }

  /** Every fleet's counters merged: sums, the worst p99, the mean p50 weighted by replies. */
  async fleetStats(reset: boolean): Promise<FleetStats> {
    const all = await Promise.all(this.fleets.map((f) => f.stats(reset)));
    return all.reduce((a, b) => mergeStats(a, b));
  }

  fleetCpuSeconds(): number {
    return this.fleets.reduce((s, f) => s + cpuSecondsOf(f.pid), 0);
  }

  /** Waits until the agents hold `caps` caps in all and ResMan has nothing pending. */
  async waitPlacedAndHeld(caps: number, timeoutMs: number): Promise<void> {
    let lastLog = Date.now();
    await waitUntil(`${caps} caps held by agents`, async () => {
      const [st, fs] = await Promise.all([this.status(), this.fleetStats(false)]);
      if (Date.now() - lastLog > 5000) {
        this.o.log(`  ${fs.caps} caps held, ${st.pending} pending in ResMan, ${st.containers} containers`);
        lastLog = Date.now();
      }
      return fs.caps >= caps && st.pending === 0;
    }, timeoutMs, 250);
  }

  /** Agents whose assigned resources exceed their total, as ResMan lists them (must be 0). */
  async overcommitted(): Promise<string[]> {
    const { agents } = await this.client.call("ResMan/ListAgents", {}, { timeoutMs: 60_000 });
    const out: string[] = [];
    for (const a of agents) {
      for (const dim of ["millicores", "memory", "disk", "ssd"] as const) {
        if (a.assigned[dim] > a.info.total[dim]) out.push(`${a.info.endpoint}: ${dim} ${a.assigned[dim]} > ${a.info.total[dim]}`);
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    this.untrap();
    await Promise.all(this.fleets.map((f) => f.stop().catch(() => {})));
    await this.resman.stop();
    if (this.standby) await this.standby.stop();
    // a running etcd given with --etcd-endpoints keeps nothing of the run (its key prefix was fresh)
    if (this.etcd && !this.localEtcd) await this.etcdClient.delete(`${this.etcd.prefix}/`, { prefix: true }).catch(() => 0);
    await this.localEtcd?.stop();
    this.dir.cleanup();
  }
}

function mergeStats(a: FleetStats, b: FleetStats): FleetStats {
  const replies = a.replies + b.replies;
  const w = (x: FleetStats) => (replies > 0 ? x.replies / replies : 0.5);
  return {
    agents: a.agents + b.agents, registered: a.registered + b.registered, windowSec: Math.max(a.windowSec, b.windowSec),
    replies, capReplies: a.capReplies + b.capReplies, watchCapReplies: a.watchCapReplies + b.watchCapReplies, watching: a.watching + b.watching,
    errors: a.errors + b.errors, lastError: a.lastError || b.lastError, repliesPerSec: a.repliesPerSec + b.repliesPerSec,
    connectsPerSec: a.connectsPerSec < 0 || b.connectsPerSec < 0 ? -1 : a.connectsPerSec + b.connectsPerSec,
    rttMs: {
      count: a.rttMs.count + b.rttMs.count, p50: a.rttMs.p50 * w(a) + b.rttMs.p50 * w(b), p99: Math.max(a.rttMs.p99, b.rttMs.p99),
      max: Math.max(a.rttMs.max, b.rttMs.max), mean: a.rttMs.mean * w(a) + b.rttMs.mean * w(b),
    },
    lagMs: a.lagMs.p99 >= b.lagMs.p99 ? a.lagMs : b.lagMs,
    inFlight: a.inFlight + b.inFlight, caps: a.caps + b.caps,
    capsPerAgent: [Math.min(a.capsPerAgent[0], b.capsPerAgent[0]), Math.max(a.capsPerAgent[1], b.capsPerAgent[1])], revoked: a.revoked + b.revoked,
    revokedIds: [...a.revokedIds, ...b.revokedIds].slice(0, 20), epochs: [...new Set([...a.epochs, ...b.epochs])].sort((x, y) => x - y),
  };
}
