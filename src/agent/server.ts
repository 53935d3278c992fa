// The agent shell: LMDB checkpoint, isolation driver, heartbeat loop to the ResMan leader, and its own RPC server.
//
//   every interval: refresh workers ──► Heartbeat(full report) ──► reply epoch >= seen? ──► caps changed?
//       ──► diffCaps ──► checkpoint + create new containers, destroy revoked ones
import { createHmac } from "node:crypto";
import { hostname } from "node:os";
import { ClusterDir } from "../cluster/index.ts";
import { RpcClient, RpcServer } from "../rpc/index.ts";
import type { AgentInfo, HeartbeatReply } from "../rpc/types.ts";
import { openLmdbStore, type Store } from "../store/index.ts";
import { detectDriver } from "./cgroup/index.ts";
import type { CgroupDriver } from "./cgroup/driver.ts";
import { ContainerManager } from "./containers.ts";
import { acceptEpoch, diffCaps } from "./core.ts";
import { readLogs } from "./logs.ts";

export interface AgentOptions {
  dataDir: string;
  clusterDir?: string;
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
  disk: number;
  portMin: number;
  portMax: number;
  stopGraceMs: number;
  log: (msg: string) => void;
}

export interface AgentHandle {
  readonly endpoint: string;
  readonly isolation: string;
  stop(): Promise<void>;
}

export async function startAgent(o: AgentOptions): Promise<AgentHandle> {
  const cluster = o.clusterDir ? new ClusterDir(o.clusterDir) : null;
  const secret = () => o.secret ?? cluster?.secret() ?? "";
  if (!secret()) throw new Error("the agent needs the cluster secret: give --cluster-dir or --secret");
  const store = openLmdbStore(`${o.dataDir}/state`);
  const driver = detectDriver();
  o.log(`agent: ${o.advertise} isolation ${driver.describe()}`);
  const manager = new ContainerManager({
    endpoint: o.advertise, root: `${o.dataDir}/containers`, driver, store, stopGraceMs: o.stopGraceMs, log: o.log,
    podToken: (id) => createHmac("sha256", secret()).update(id).digest("hex"),
    workerEnv: {
      ...(o.clusterDir ? { GALAXY_CLUSTER_DIR: o.clusterDir } : {}),
      ...(o.appmaster.length ? { GALAXY_APPMASTER: o.appmaster.join(",") } : {}),
    },
  });
  await manager.recover();
  const server = new RpcServer({ role: "agent", secret, health: () => ({ endpoint: o.advertise, isolation: driver.kind }) });
  server.register("Agent/ListContainers", () => ({ agent: agentInfo(o, driver), containers: manager.reports(Date.now()) }));
  server.register("Agent/ReadLogs", (req) => readLogs(manager, req));
  server.listen(o.host, o.port);
  const resman = new RpcClient({
    addresses: () => resmanAddresses(o, cluster),
    credentials: () => ({ secret: secret() }),
    timeoutMs: 5000,
  });
  const loop = new HeartbeatLoop(o, store, driver, manager, resman);
  loop.start();
  return {
    endpoint: o.advertise,
    isolation: driver.kind,
    async stop() {
      loop.stop();
      await server.stop();
      await store.close();
    },
  };
}

function resmanAddresses(o: AgentOptions, cluster: ClusterDir | null): string[] {
  const leader = cluster?.readLeader("resman")?.addr;
  return [...new Set([...(leader ? [leader] : []), ...o.resman])];
}

function agentInfo(o: AgentOptions, driver: CgroupDriver): AgentInfo {
  return {
    endpoint: o.advertise, pool: o.pool, labels: o.labels,
    total: { millicores: o.millicores, memory: o.memory, disk: o.disk, ssd: 0 },
    portMin: o.portMin, portMax: o.portMax, isolation: driver.kind, hostname: hostname(), version: "0.1.0",
    startedAt: 0, maxBatch: 0,
  };
}

class HeartbeatLoop {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private epochSeen: number;
  private capsEpoch = 0;
  private capsVersion = 0;
  private intervalMs = 1000;
  private lastError = "";

  constructor(
    readonly o: AgentOptions,
    readonly store: Store,
    readonly driver: CgroupDriver,
    readonly manager: ContainerManager,
    readonly resman: RpcClient,
  ) {
    this.epochSeen = store.table<number>("meta").get("epochSeen") ?? 0;
  }

  start(): void {
    void this.beat();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    try {
      this.manager.refresh();
      const reply = await this.resman.call("ResMan/Heartbeat", {
        agent: agentInfo(this.o, this.driver), epochSeen: this.epochSeen, capsEpoch: this.capsEpoch,
        capsVersion: this.capsVersion, full: true, containers: this.manager.reports(Date.now()),
      });
      this.apply(reply);
      if (this.lastError) this.o.log(`agent: heartbeat to ResMan works again`);
      this.lastError = "";
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== this.lastError) this.o.log(`agent: heartbeat failed: ${msg}`);
      this.lastError = msg;
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.beat(), this.intervalMs);
  }

  private apply(reply: HeartbeatReply): void {
    if (!acceptEpoch(this.epochSeen, reply.epoch)) {
      this.o.log(`agent: ignored a reply from epoch ${reply.epoch}; epoch ${this.epochSeen} was seen`);
      return;
    }
    if (reply.epoch > this.epochSeen) {
      this.epochSeen = reply.epoch;
      this.store.writeSync((tx) => tx.put(this.store.table<number>("meta"), "epochSeen", reply.epoch));
    }
    if (reply.intervalMs > 0) this.intervalMs = reply.intervalMs;
    if (!reply.capsChanged) return;
    const { create, destroy } = diffCaps(this.manager.held, reply.caps);
    for (const cap of create) this.manager.create(cap);
    for (const id of destroy) void this.manager.destroy(id);
    this.capsEpoch = reply.epoch;
    this.capsVersion = reply.capsVersion;
  }
}
