// The agent's container table: checkpoint in LMDB first, then act (create cgroup + workspace + worker, or destroy).
// Workers run detached (their own session), so an agent restart never touches them; recover() re-adopts them.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Cap, ContainerReport } from "../rpc/types.ts";
import type { Store, Table } from "../store/index.ts";
import { selfCommand } from "../sys/self.ts";
import { isAlive, processStartTicks, signal, waitFor } from "../sys/proc.ts";
import type { CgroupDriver } from "./cgroup/driver.ts";
import { cgroupName, limitsOf, type ContainerCheckpoint, type LocalState } from "./core.ts";
import { UsageMeter } from "./usage.ts";

export interface ContainerManagerOptions {
  endpoint: string;
  root: string; // <data-dir>/containers
  driver: CgroupDriver;
  store: Store;
  /** Environment every worker gets (how to reach AppMaster). */
  workerEnv: Record<string, string>;
  podToken: (containerId: string) => string;
  /** How long a worker gets after SIGTERM to stop its tasks before the cgroup is killed. */
  stopGraceMs: number;
  log: (msg: string) => void;
}

export class ContainerManager {
  readonly table: Table<ContainerCheckpoint>;
  readonly held = new Map<string, ContainerCheckpoint>();
  private readonly busy = new Set<string>(); // containers with a create/destroy in flight
  private readonly usage = new UsageMeter();

  constructor(readonly o: ContainerManagerOptions) {
    this.table = o.store.table<ContainerCheckpoint>("containers");
    for (const cp of this.table.list()) this.held.set(cp.id, cp);
  }

  private checkpoint(cp: ContainerCheckpoint): void {
    this.held.set(cp.id, cp);
    this.o.store.writeSync((tx) => tx.put(this.table, cp.id, cp));
  }

  /** After an agent restart: keep running workers, finish half-done work, restart dead workers. */
  async recover(): Promise<void> {
    for (const cp of [...this.held.values()]) {
      if (cp.state === "destroying") void this.destroy(cp.id);
      else if (cp.state === "creating") {
        this.o.log(`agent: ${cp.id} was half-created; building it again`);
        await this.o.driver.kill(cp.cgroup).catch(() => {});
        void this.build(cp);
      } else if (cp.state === "running" && !isAlive(cp.pid, cp.pidStart)) this.startWorker(cp, "its worker died while the agent was down");
      else if (cp.state === "running") this.o.log(`agent: re-adopted ${cp.id} (worker pid ${cp.pid})`);
    }
  }

  /** Checkpoints the cap, then builds the container. */
  create(cap: Cap): void {
    const cp: ContainerCheckpoint = {
      id: cap.containerId, cap, state: "creating", cgroup: cgroupName(this.o.endpoint, cap.containerId),
      workspace: join(this.o.root, cap.containerId), pid: 0, pidStart: 0, startedAt: 0, message: "", exitCode: 0, workerRestarts: 0,
    };
    this.checkpoint(cp);
    void this.build(cp);
  }

  private async build(cp: ContainerCheckpoint): Promise<void> {
    this.busy.add(cp.id);
    try {
      mkdirSync(join(cp.workspace, "logs"), { recursive: true });
      mkdirSync(join(cp.workspace, ".galaxy"), { recursive: true });
      this.o.driver.create(cp.cgroup, limitsOf(cp.cap));
      this.startWorker(cp, "");
    } catch (e) {
      this.setState(cp, "failed", `cannot create container: ${(e as Error).message}`);
      this.o.log(`agent: ${cp.id}: ${(e as Error).message}`);
    } finally {
      this.busy.delete(cp.id);
    }
  }

  private startWorker(cp: ContainerCheckpoint, why: string): void {
    if (why) this.o.log(`agent: starting the worker of ${cp.id} again: ${why}`);
    const log = openSync(join(cp.workspace, "logs", "worker.log"), "a");
    const [exe, ...pre] = selfCommand();
    const procs = this.o.driver.procsFiles(cp.cgroup);
    // The shell joins the cgroup before it execs the worker, so no instruction of the worker runs outside it.
    const script = 'for f in $GALAXY_CGROUP_PROCS; do echo $$ > "$f" || exit 97; done; exec "$0" "$@"';
    const child = spawn("/bin/sh", ["-c", script, exe!, ...pre, "appworker"], {
      cwd: cp.workspace, detached: true, stdio: ["ignore", log, log], env: this.workerEnv(cp, procs),
    });
    closeSync(log);
    child.unref();
    child.on("exit", (code, sig) => this.onWorkerExit(cp.id, child.pid ?? 0, code, sig));
    const pid = child.pid ?? 0;
    if (this.o.driver.kind === "none" && pid) this.o.driver.addProcess(cp.cgroup, pid);
    cp.pid = pid;
    cp.pidStart = processStartTicks(pid);
    cp.startedAt = Date.now();
    cp.workerRestarts += why ? 1 : 0;
    this.setState(cp, "running", "");
  }

  private workerEnv(cp: ContainerCheckpoint, procs: string[]): Record<string, string> {
    const ports = Object.fromEntries(cp.cap.ports.map((p) => [p.name, p.port]));
    return {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      TMPDIR: process.env.TMPDIR ?? "/tmp",
      ...this.o.workerEnv,
      ...cp.cap.env,
      GALAXY_CONTAINER_ID: cp.id,
      GALAXY_POD_ID: cp.cap.env.GALAXY_POD_ID ?? cp.id,
      GALAXY_JOB_ID: cp.cap.env.GALAXY_JOB_ID ?? cp.cap.groupId,
      GALAXY_WORKSPACE: cp.workspace,
      GALAXY_AGENT: this.o.endpoint,
      GALAXY_PORTS: JSON.stringify(ports),
      GALAXY_POD_TOKEN: this.o.podToken(cp.id),
      GALAXY_CGROUP_PROCS: procs.join(" "),
    };
  }

  private onWorkerExit(id: string, pid: number, code: number | null, sig: NodeJS.Signals | null): void {
    const cp = this.held.get(id);
    if (!cp || cp.pid !== pid || cp.state !== "running") return;
    const how = sig ? `killed by ${sig}` : `exited ${code}`;
    cp.exitCode = code ?? -1;
    if (code === 0) this.setState(cp, "exited", `worker ${how}`);
    else this.startWorker(cp, `worker ${how}`);
  }

  /** Called every heartbeat: notices workers that died while nobody was waiting on them (after a re-adoption). */
  refresh(): void {
    for (const cp of this.held.values()) {
      if (cp.state === "running" && !this.busy.has(cp.id) && !isAlive(cp.pid, cp.pidStart)) {
        this.startWorker(cp, `worker pid ${cp.pid} is gone`);
      }
    }
  }

  /** SIGTERM to the worker (it stops its tasks), then the cgroup is killed and everything removed. */
  async destroy(id: string): Promise<void> {
    const cp = this.held.get(id);
    if (!cp || this.busy.has(id)) return;
    this.busy.add(id);
    try {
      this.setState(cp, "destroying", "");
      if (cp.pid && isAlive(cp.pid, cp.pidStart)) {
        signal(cp.pid, "SIGTERM");
        await waitFor(() => !isAlive(cp.pid, cp.pidStart), this.o.stopGraceMs);
      }
      await this.o.driver.kill(cp.cgroup);
      await this.o.driver.remove(cp.cgroup);
      rmSync(cp.workspace, { recursive: true, force: true });
      this.held.delete(id);
      this.usage.forget(id);
      this.o.store.writeSync((tx) => tx.delete(this.table, id));
      this.o.log(`agent: destroyed ${id}`);
    } catch (e) {
      this.o.log(`agent: destroying ${id} failed: ${(e as Error).message}; will retry`);
    } finally {
      this.busy.delete(id);
    }
  }

  private setState(cp: ContainerCheckpoint, state: LocalState, message: string): void {
    cp.state = state;
    cp.message = message;
    this.checkpoint(cp);
  }

  reports(now: number): ContainerReport[] {
    return [...this.held.values()].map((cp) => ({
      containerId: cp.id, groupId: cp.cap.groupId, state: cp.state, pid: cp.pid, startedAt: cp.startedAt,
      message: cp.message, usage: this.usage.sample(cp.id, this.o.driver, cp.cgroup, now), cap: cp.cap, exitCode: cp.exitCode,
    }));
  }
}
