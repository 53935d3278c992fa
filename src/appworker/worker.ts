// `galaxy appworker`: the first process of every container. It pulls its plan from AppMaster every second
// (FetchTask), runs the pod's tasks, and keeps them running through AppMaster outages.
import { ClusterDir } from "../cluster/index.ts";
import type { PodPlan } from "../core/pod-plan.ts";
import { RpcClient } from "../rpc/index.ts";
import type { FetchTaskReply, PodState } from "../rpc/types.ts";
import { acceptEpoch, podState } from "./core.ts";
import { TaskRunner } from "./task-runner.ts";

export interface WorkerEnv {
  podId: string;
  jobId: string;
  containerId: string;
  workspace: string;
  agent: string;
  ports: Record<string, number>;
  token: string;
  appmaster: string[];
  clusterDir: string;
}

export function workerEnvFrom(env: Record<string, string | undefined>): WorkerEnv {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new Error(`appworker is started by the agent inside a container; ${k} is not set`);
    return v;
  };
  return {
    podId: need("GALAXY_POD_ID"), jobId: need("GALAXY_JOB_ID"), containerId: need("GALAXY_CONTAINER_ID"),
    workspace: need("GALAXY_WORKSPACE"), agent: env.GALAXY_AGENT ?? "", ports: JSON.parse(env.GALAXY_PORTS || "{}"),
    token: need("GALAXY_POD_TOKEN"), appmaster: (env.GALAXY_APPMASTER ?? "").split(",").filter(Boolean),
    clusterDir: env.GALAXY_CLUSTER_DIR ?? "",
  };
}

/** The environment tasks see: the worker's, less what only the worker may know. */
function taskEnv(w: WorkerEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env.GALAXY_POD_TOKEN;
  delete env.GALAXY_CGROUP_PROCS;
  delete env.GALAXY_PORTS;
  return env;
}

export class Worker {
  private tasks: TaskRunner[] = [];
  private plan: PodPlan | null = null;
  private epochSeen = 0;
  private terminating = false;
  private readonly client: RpcClient;
  private lastError = "";

  constructor(
    readonly w: WorkerEnv,
    readonly log: (msg: string) => void,
  ) {
    const cluster = w.clusterDir ? new ClusterDir(w.clusterDir) : null;
    this.client = new RpcClient({
      addresses: () => {
        const leader = cluster?.readLeader("appmaster")?.addr;
        return [...new Set([...(leader ? [leader] : []), ...w.appmaster])];
      },
      credentials: {},
      timeoutMs: 5000,
    });
  }

  state(): PodState {
    if (this.terminating) return this.tasks.every((t) => t.state !== "running") ? "terminated" : "stopping";
    if (!this.plan) return "pending";
    return podState(this.tasks, this.plan.jobType);
  }

  async run(): Promise<void> {
    process.on("SIGTERM", () => void this.terminate(this.plan?.stopTimeout ?? 10_000));
    for (;;) {
      await Promise.all(this.tasks.map((t) => t.checkHealth()));
      const reply = await this.fetch();
      if (reply) await this.apply(reply);
      await Bun.sleep(reply?.intervalMs || 1000);
    }
  }

  private async fetch(): Promise<FetchTaskReply | null> {
    try {
      const reply = await this.client.call("AppMaster/FetchTask", {
        podId: this.w.podId, containerId: this.w.containerId, jobId: this.w.jobId, epochSeen: this.epochSeen,
        state: this.state(), version: this.plan?.version ?? 0, tasks: this.tasks.map((t) => t.status()),
        agent: this.w.agent, pid: process.pid, token: this.w.token,
      });
      if (this.lastError) this.log("AppMaster reachable again");
      this.lastError = "";
      return reply;
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== this.lastError) this.log(`FetchTask failed (tasks keep running): ${msg}`);
      this.lastError = msg;
      return null;
    }
  }

  private async apply(reply: FetchTaskReply): Promise<void> {
    if (!acceptEpoch(this.epochSeen, reply.epoch)) {
      this.log(`refused a command from AppMaster epoch ${reply.epoch}; epoch ${this.epochSeen} was seen`);
      return;
    }
    this.epochSeen = reply.epoch;
    if (reply.command === "terminate") return this.terminate(Number(reply.stopTimeout) || 10_000);
    if (reply.command === "start" && !this.plan && !this.terminating) this.startPlan(JSON.parse(reply.podJson) as PodPlan);
  }

  private startPlan(plan: PodPlan): void {
    this.plan = plan;
    this.log(`starting version ${plan.version}: ${plan.tasks.map((t) => t.name).join(", ")}`);
    const ctx = {
      workspace: this.w.workspace, env: taskEnv(this.w), ports: this.w.ports, jobType: plan.jobType,
      restart: plan.restart, version: plan.version, log: this.log,
    };
    this.tasks = plan.tasks.map((t) => new TaskRunner(t, ctx));
    for (const t of this.tasks) t.start();
  }

  private async terminate(timeoutMs: number): Promise<void> {
    if (this.terminating) return;
    this.terminating = true;
    this.log(`terminating: stopping ${this.tasks.length} tasks`);
    await Promise.all(this.tasks.map((t) => t.stop(timeoutMs)));
    await this.fetch(); // report terminated
    this.log("terminated");
    process.exit(0);
  }
}
