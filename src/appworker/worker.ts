// `galaxy appworker`: the first process of every container. It pulls its command from AppMaster (FetchTask, every
// second, sooner when its pod's state changes), deploys and runs the pod's tasks, and keeps them running through
// AppMaster outages. Its state file lets a restarted worker re-adopt running tasks.
//
//   tick (250 ms): adopted tasks polled ─► health checks ─► logs rotated ─► report if changed or due
//   reply ─► epoch fenced ─► decide(command, version, op) ─► deploy | reload | terminate | clear-failure | none
import { LogIndex } from "./log-index.ts";
import { ownHostPid } from "./host-pid.ts";
import { writeFileSync } from "node:fs";
import { ClusterDir } from "../cluster/index.ts";
import type { PackageSpec } from "../core/jobspec.ts";
import type { PodPlan } from "../core/pod-plan.ts";
import { RpcClient } from "../rpc/index.ts";
import type { FetchTaskReply, FetchTaskRequest, PodState } from "../rpc/types.ts";
import { acceptEpoch, decide, workerState } from "./core.ts";
import { rotateIfNeeded, DEFAULT_ROTATE, type RotateOptions } from "./log-rotate.ts";
import { activatePackage, DEFAULT_FETCH, preparePackage, type FetchOptions, type PreparedPackage } from "./packages.ts";
import { loadState, saveState } from "./state-file.ts";
import { type TaskIdentity, taskEnvOf, taskIdentityFrom } from "./task-launch.ts";
import { runCommand, TaskRunner, type TaskContext } from "./task-runner.ts";

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
  /** who the job's processes run as, and in which cgroup (null: as the worker) */
  identity: TaskIdentity | null;
  /** the tasks' memory limit in bytes (0: unknown) */
  memoryLimit: number;
}

export interface WorkerOptions {
  fetch: FetchOptions;
  rotate: RotateOptions;
  tickMs: number;
  exit: (code: number) => void;
  /** what tasks inherit (less WORKER_ONLY_ENV): this process's, or the container's env for a host worker */
  env: Record<string, string | undefined>;
  /** the pid reported as this pod's worker */
  hostPid: () => number;
  /** how to reach AppMaster (a host worker shares one among its pods: each report carries its own pod token) */
  client?: RpcClient;
  /** the pid shown for a task (default: its host pid; a host worker shows nsenter's child, the task itself) */
  shownPid?: (pid: number) => number | null;
  /** how a report goes out (default: a FetchTask of its own; a host worker batches its pods' into one FetchTasks) */
  send?: (req: FetchTaskRequest, hold: boolean) => Promise<FetchTaskReply>;
}

/** A client of AppMaster's leader (its leader file in the cluster dir), else the addresses given. */
export function appMasterClient(clusterDir: string, appmaster: readonly string[]): RpcClient {
  const cluster = clusterDir ? new ClusterDir(clusterDir) : null;
  return new RpcClient({
    addresses: () => {
      const leader = cluster?.readLeader("appmaster")?.addr;
      return [...new Set([...(leader ? [leader] : []), ...appmaster])];
    },
    credentials: {},
    timeoutMs: 2000, // a stalled AppMaster is given up on quickly; the next call follows the leader file
  });
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
    clusterDir: env.GALAXY_CLUSTER_DIR ?? "", identity: taskIdentityFrom(env), memoryLimit: Number(env.GALAXY_MEMORY_LIMIT ?? 0) || 0,
  };
}

const RELOAD_TIMEOUT_MS = 60_000;

export class Worker {
  private tasks: TaskRunner[] = [];
  private plan: PodPlan | null = null;
  private epochSeen = 0;
  private opId = "";
  private failure = "";
  private failedVersion = 0;
  private busy: { version: number; abort: AbortController } | null = null;
  private terminating = false;
  private readonly client: RpcClient;
  private readonly o: WorkerOptions;
  private lastError = "";
  private lastReport = "";
  private lastFetchAt = 0;
  private lastRotateAt = 0;
  private logIndex: LogIndex | null = null;
  private intervalMs = 1000;
  private fetching = false;
  private urgentFetching = false;
  private wake = false;

  constructor(
    readonly w: WorkerEnv,
    readonly log: (msg: string) => void,
    opts: Partial<WorkerOptions> = {},
  ) {
    const hostRoot = process.env.GALAXY_HOST_ROOT;
    this.o = {
      fetch: { ...DEFAULT_FETCH, log, ...(hostRoot ? { hostRoot } : {}) }, rotate: DEFAULT_ROTATE, tickMs: 250, exit: (c) => process.exit(c),
      env: process.env, hostPid: () => ownHostPid(), ...opts,
    };
    this.client = opts.client ?? appMasterClient(w.clusterDir, w.appmaster);
  }

  state(): PodState {
    return workerState({
      terminating: this.terminating, anyTaskAlive: this.tasks.some((t) => t.state === "running"), busy: this.busy !== null,
      failure: this.failure, hasPlan: this.plan !== null, tasks: this.tasks, jobType: this.plan?.jobType ?? "service",
    });
  }

  /** The version it runs, works towards, or failed at. */
  version(): number {
    return this.busy?.version ?? (this.failure ? this.failedVersion : (this.plan?.version ?? 0));
  }

  async run(): Promise<void> {
    protectFromOomKiller();
    this.resume();
    process.on("SIGTERM", () => void this.terminate(this.plan?.stopTimeout ?? 10_000));
    for (;;) {
      this.step(Date.now());
      await Bun.sleep(this.o.tickMs);
    }
  }

  /** One tick: watch tasks, rotate logs, and report when something changed or the interval is up. */
  step(now: number): void {
    for (const t of this.tasks) t.poll();
    for (const t of this.tasks) void t.checkHealth(now);
    if (now - this.lastRotateAt > 5000) this.rotateLogs(now);
    (this.logIndex ??= new LogIndex(`${this.w.workspace}/logs`)).sample(this.tasks.map((t) => t.spec.name), now); // logs --since/--timestamps
    const report = `${this.state()}|${this.version()}|${this.tasks.map((t) => `${t.state}${t.pid}${t.healthy}`).join(",")}`;
    const changed = this.wake || report !== this.lastReport;
    if (!changed && now - this.lastFetchAt < this.intervalMs) return;
    // A host worker's routine report may be held by AppMaster (a long-poll): a change goes out beside it at once.
    const urgent = changed && !!this.o.send;
    if (urgent ? this.urgentFetching : this.fetching) return;
    this.wake = false;
    this.lastReport = report;
    this.lastFetchAt = now;
    if (urgent) this.urgentFetching = true;
    else this.fetching = true;
    void this.fetch(!urgent && !!this.o.send)
      .then((reply) => reply && this.apply(reply))
      .finally(() => (urgent ? (this.urgentFetching = false) : (this.fetching = false)));
  }

  /** After a restart of this worker: take its running tasks back from the state file. */
  resume(): void {
    const s = loadState(this.w.workspace);
    if (!s) return this.save(); // written at start: the agent takes it as the sign that this worker is up
    Object.assign(this, { epochSeen: s.epochSeen, opId: s.opId, failure: s.failure, failedVersion: s.failedVersion });
    if (s.plan) {
      this.plan = s.plan;
      this.tasks = this.runners(s.plan);
      let adopted = 0;
      for (const t of this.tasks) {
        const snap = s.tasks.find((x) => x.name === t.spec.name);
        if (snap && t.adopt(snap)) adopted++;
        else if (!snap || snap.state === "pending" || snap.state === "stopped") t.start();
      }
      this.log(`resumed version ${s.plan.version}: re-adopted ${adopted} of ${this.tasks.length} running tasks`);
    }
    if (s.terminating) void this.terminate(this.plan?.stopTimeout ?? 10_000);
    this.save();
  }

  /** `hold`: AppMaster may hold the answer until something changes (a host worker's routine report). */
  private async fetch(hold = false): Promise<FetchTaskReply | null> {
    try {
      const req: FetchTaskRequest = {
        podId: this.w.podId, containerId: this.w.containerId, jobId: this.w.jobId, epochSeen: this.epochSeen,
        state: this.state(), version: this.version(), tasks: this.tasks.map((t) => t.status()),
        agent: this.w.agent, pid: this.o.hostPid(), token: this.w.token, opId: this.opId, message: this.failure,
      };
      const reply = await (this.o.send ? this.o.send(req, hold) : this.client.call("AppMaster/FetchTask", req));
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

  apply(reply: FetchTaskReply): void {
    if (!acceptEpoch(this.epochSeen, reply.epoch)) {
      this.log(`refused a command from AppMaster epoch ${reply.epoch}; epoch ${this.epochSeen} was seen`);
      return;
    }
    if (reply.epoch !== this.epochSeen) {
      this.epochSeen = reply.epoch;
      this.save();
    }
    if (reply.intervalMs > 0) this.intervalMs = reply.intervalMs;
    if (this.terminating) return;
    const op = decide(reply.command, reply.version, reply.opId, {
      planVersion: this.plan?.version ?? 0, failedVersion: this.failedVersion, busy: this.busy !== null, opId: this.opId,
    });
    if (op.kind === "terminate") void this.terminate(Number(reply.stopTimeout) || 10_000);
    else if (op.kind === "clear-failure") this.setFailure("", 0);
    else if (op.kind === "deploy") void this.deploy(JSON.parse(reply.podJson) as PodPlan, reply.opId);
    else if (op.kind === "reload") void this.reload(JSON.parse(reply.podJson) as PodPlan);
  }

  private runners(plan: PodPlan): TaskRunner[] {
    const ctx: TaskContext = {
      workspace: this.w.workspace, env: taskEnvOf(this.o.env, this.w.workspace, this.w.identity), ports: this.w.ports,
      jobType: plan.jobType, restart: plan.restart, version: plan.version, identity: this.w.identity, memoryLimit: this.w.memoryLimit, oomCounter: this.o.env.GALAXY_OOM_COUNTER, ...(this.o.shownPid ? { shownPid: this.o.shownPid } : {}), log: this.log, onChange: () => ((this.wake = true), this.save()),
    };
    return plan.tasks.map((t) => new TaskRunner(t, ctx));
  }

  /** Download everything first (old tasks keep serving), then stop them, switch the packages, start the new tasks. */
  private async deploy(plan: PodPlan, opId: string): Promise<void> {
    const abort = this.begin(plan.version, `deploying version ${plan.version}`);
    try {
      const pkgs = plan.tasks.flatMap((t) => [...(t.package ? [t.package] : []), ...(t.data?.packages ?? [])]);
      const prepared = await this.prepare(pkgs, abort.signal);
      if (abort.signal.aborted) return;
      await Promise.all(this.tasks.map((t) => t.stop(this.plan?.stopTimeout ?? plan.stopTimeout)));
      for (const p of prepared) await activatePackage(p, this.w.identity);
      if (abort.signal.aborted) return;
      this.plan = plan;
      this.tasks = this.runners(plan);
      for (const t of this.tasks) t.start();
      this.setFailure("", 0);
      this.log(`version ${plan.version} started: ${plan.tasks.map((t) => t.name).join(", ")}`);
    } catch (e) {
      this.setFailure(`deploy of version ${plan.version} failed: ${(e as Error).message}`, plan.version);
    } finally {
      if (opId) this.opId = opId;
      this.end();
    }
  }

  /** Data packages in place, then each task's data.reload; the tasks keep running (same pids). */
  private async reload(plan: PodPlan): Promise<void> {
    const abort = this.begin(plan.version, `reloading data for version ${plan.version}`);
    try {
      const prepared = await this.prepare(plan.tasks.flatMap((t) => t.data?.packages ?? []), abort.signal);
      if (abort.signal.aborted) return;
      for (const p of prepared) await activatePackage(p, this.w.identity);
      this.plan = plan;
      for (const t of this.tasks) {
        t.spec = plan.tasks.find((x) => x.name === t.spec.name) ?? t.spec;
        t.ctx.version = plan.version;
      }
      for (const t of this.tasks) {
        if (!t.spec.data?.reload) continue;
        const code = await runCommand(t.spec.data.reload, this.w.workspace, t.env(), RELOAD_TIMEOUT_MS, this.w.identity);
        if (code !== 0) throw new Error(`the reload command of task ${t.spec.name} ${code < 0 ? "timed out" : `exited ${code}`}`);
      }
      this.setFailure("", 0);
      this.log(`version ${plan.version}: data reloaded`);
    } catch (e) {
      this.setFailure(`reload to version ${plan.version} failed: ${(e as Error).message}`, plan.version);
    } finally {
      this.end();
    }
  }

  private async prepare(pkgs: PackageSpec[], signal: AbortSignal): Promise<PreparedPackage[]> {
    const out: PreparedPackage[] = [];
    for (const p of pkgs) out.push(await preparePackage(this.w.workspace, p, { ...this.o.fetch, signal }, this.w.identity));
    return out;
  }

  private begin(version: number, what: string): AbortController {
    const abort = new AbortController();
    this.busy = { version, abort };
    this.log(what);
    this.wake = true;
    return abort;
  }

  private end(): void {
    this.busy = null;
    this.wake = true;
    this.save();
  }

  private setFailure(failure: string, version: number): void {
    if (failure) this.log(failure);
    this.failure = failure;
    this.failedVersion = version;
    this.wake = true;
    this.save();
  }

  /** Its container goes away (the agent kills it): forget its tasks without touching them, restart none. */
  abandon(): void {
    this.busy?.abort.abort();
    for (const t of this.tasks) t.abandon();
  }

  /** Stops every task (stop command, stop timeout, SIGTERM, SIGKILL), reports terminated, then exit(0). */
  async terminate(timeoutMs: number): Promise<void> {
    if (this.terminating) return;
    this.terminating = true;
    this.busy?.abort.abort();
    this.save();
    this.log(`terminating: stopping ${this.tasks.length} tasks (stop timeout ${timeoutMs} ms)`);
    await Promise.all(this.tasks.map((t) => t.stop(timeoutMs)));
    this.save();
    await this.fetch(); // report terminated
    this.log("terminated");
    this.o.exit(0);
  }

  private rotateLogs(now: number): void {
    this.lastRotateAt = now;
    for (const t of this.tasks) {
      for (const ext of ["out", "err"]) rotateIfNeeded(`${this.w.workspace}/logs/${t.spec.name}.${ext}`, this.o.rotate);
    }
  }

  private save(): void {
    try {
      saveState(this.w.workspace, {
        epochSeen: this.epochSeen, plan: this.plan, opId: this.opId, failure: this.failure, failedVersion: this.failedVersion,
        terminating: this.terminating, tasks: this.tasks.map((t) => t.snapshot()),
      });
    } catch (e) {
      this.log(`cannot save the state file: ${(e as Error).message}`);
    }
  }
}

/**
 * The worker is small next to its tasks but maps a large executable: left alone, the OOM killer of a full container
 * may pick it instead of the task that ran out. Make it the last choice (tasks start back at 0; task-runner.ts).
 */
function protectFromOomKiller(): void {
  try {
    writeFileSync("/proc/self/oom_score_adj", "-998");
  } catch {
    /* not permitted (not root): the kernel's default choice stands */
  }
}
