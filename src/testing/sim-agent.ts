// A simulated agent for tests and benchmarks: speaks the real heartbeat protocol to ResMan, holds caps the way a
// real agent does (diffCaps, epoch fencing), and runs a simulated worker per container that pulls its plan from
// AppMaster (FetchTask with the pod token) and reports its tasks running. No processes, no cgroups.
import { createHmac } from "node:crypto";
import { acceptEpoch, diffCaps, type ContainerCheckpoint } from "../agent/core.ts";
import { RpcClient } from "../rpc/index.ts";
import type { AgentInfo, Cap, ContainerReport, HeartbeatReply, TaskStatus } from "../rpc/types.ts";

export interface SimAgentOptions {
  endpoint: string;
  resman: () => string[];
  appmaster?: () => string[];
  secret: string;
  pool?: string;
  labels?: string[];
  millicores?: number;
  memory?: number;
  portMin?: number;
  portMax?: number;
}

interface SimContainer {
  cap: Cap;
  state: "running" | "exited";
  podState: string;
  tasks: TaskStatus[];
  version: number;
  opId: string;
}

export class SimAgent {
  readonly containers = new Map<string, SimContainer>();
  epochSeen = 0;
  private capsEpoch = 0;
  private capsVersion = 0;
  private readonly resman: RpcClient;
  private readonly appmaster: RpcClient | null;
  private amEpochSeen = 0;

  constructor(readonly o: SimAgentOptions) {
    this.resman = new RpcClient({ addresses: o.resman, credentials: { secret: o.secret }, timeoutMs: 5000 });
    this.appmaster = o.appmaster ? new RpcClient({ addresses: o.appmaster, credentials: {}, timeoutMs: 5000 }) : null;
  }

  info(): AgentInfo {
    const o = this.o;
    return {
      endpoint: o.endpoint, pool: o.pool ?? "default", labels: o.labels ?? [],
      total: { millicores: o.millicores ?? 4000, memory: o.memory ?? 8 * 1024 ** 3, disk: 100 * 1024 ** 3, ssd: 0 },
      portMin: o.portMin ?? 20000, portMax: o.portMax ?? 29999, isolation: "none", hostname: "sim", version: "sim",
      startedAt: 0, maxBatch: 0, volumes: [], data: [], cannotEnforce: [],
    };
  }

  reports(): ContainerReport[] {
    return [...this.containers.values()].map((c) => ({
      containerId: c.cap.containerId, groupId: c.cap.groupId, state: c.state, pid: 1, startedAt: 1, message: "",
      usage: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 }, cap: c.cap, exitCode: 0,
    }));
  }

  /** One heartbeat: report, then apply the reply's cap set as a real agent would. */
  async heartbeat(): Promise<HeartbeatReply> {
    const reply = await this.resman.call("ResMan/Heartbeat", {
      agent: this.info(), epochSeen: this.epochSeen, capsEpoch: this.capsEpoch, capsVersion: this.capsVersion,
      full: true, containers: this.reports(),
    });
    if (!acceptEpoch(this.epochSeen, reply.epoch)) return reply;
    this.epochSeen = reply.epoch;
    if (reply.capsChanged) {
      const held = new Map<string, ContainerCheckpoint>();
      for (const [id, c] of this.containers) held.set(id, { id, cap: c.cap, state: "running" } as ContainerCheckpoint);
      const { create, destroy } = diffCaps(held, reply.caps);
      for (const cap of create) this.containers.set(cap.containerId, { cap, state: "running", podState: "deploying", tasks: [], version: 0, opId: "" });
      for (const id of destroy) this.containers.delete(id);
      this.capsEpoch = reply.epoch;
      this.capsVersion = reply.capsVersion;
    }
    return reply;
  }

  /** One FetchTask per container: simulated workers start their tasks at once and report them running. */
  async pullPlans(): Promise<void> {
    if (!this.appmaster) return;
    for (const c of this.containers.values()) {
      if (c.state !== "running") continue;
      const id = c.cap.containerId;
      const reply = await this.appmaster.call("AppMaster/FetchTask", {
        podId: id, containerId: id, jobId: c.cap.groupId, epochSeen: this.amEpochSeen, state: c.podState,
        version: c.version, tasks: c.tasks, agent: this.o.endpoint, pid: 1, opId: c.opId,
        token: createHmac("sha256", this.o.secret).update(id).digest("hex"),
      });
      if (!acceptEpoch(this.amEpochSeen, reply.epoch)) continue;
      this.amEpochSeen = reply.epoch;
      if (reply.command === "terminate") {
        c.podState = "terminated";
        c.tasks = c.tasks.map((t) => ({ ...t, state: "stopped" }));
      } else if (["start", "rebuild"].includes(reply.command) && reply.podJson) {
        if (reply.opId) c.opId = reply.opId; // a one-off operation (recover) is reported back as done
        const plan = JSON.parse(reply.podJson) as { version: number; tasks: { name: string }[] };
        c.version = plan.version;
        c.podState = "running";
        c.tasks = plan.tasks.map((t, i) => ({
          name: t.name, state: "running", pid: 1000 + i, exitCode: -1, signal: "", coreDumped: false, restarts: 0,
          message: "", startedAt: Date.now(), version: String(plan.version), healthy: true,
        }));
      }
    }
  }
}
