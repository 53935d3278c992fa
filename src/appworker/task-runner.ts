// Runs one task of the pod: `/bin/sh -c start` in the workspace, in its own process group, output appended to
// logs/<task>.out|.err; restarts it per the pod's policy; stops it with SIGTERM then SIGKILL to the whole group.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import type { JobType, TaskSpec } from "../core/jobspec.ts";
import { portEnvName } from "../core/env.ts";
import type { TaskState, TaskStatus } from "../rpc/types.ts";
import { isAlive, waitFor } from "../sys/proc.ts";
import { describeExit, onTaskExit, type RestartPolicy } from "./core.ts";

export interface TaskContext {
  workspace: string;
  env: Record<string, string>;
  ports: Record<string, number>;
  jobType: JobType;
  restart: RestartPolicy;
  version: number;
  log: (msg: string) => void;
}

export class TaskRunner {
  state: TaskState = "pending";
  pid = 0;
  exitCode = -1;
  signal = "";
  restarts = 0;
  message = "";
  startedAt = 0;
  healthy = false;
  private child: ChildProcess | null = null;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private stopping = false;

  constructor(
    readonly spec: TaskSpec,
    readonly ctx: TaskContext,
  ) {}

  start(): void {
    if (this.stopping) return;
    const { workspace } = this.ctx;
    const out = openSync(join(workspace, "logs", `${this.spec.name}.out`), "a");
    const err = openSync(join(workspace, "logs", `${this.spec.name}.err`), "a");
    const env: Record<string, string> = { ...this.ctx.env, GALAXY_TASK: this.spec.name };
    for (const [name, port] of Object.entries(this.ctx.ports)) env[portEnvName(name)] = String(port);
    const child = spawn("/bin/sh", ["-c", this.spec.start], { cwd: workspace, env, detached: true, stdio: ["ignore", out, err] });
    closeSync(out);
    closeSync(err);
    this.child = child;
    this.pid = child.pid ?? 0;
    this.state = "running";
    this.exitCode = -1;
    this.signal = "";
    this.healthy = !this.spec.health;
    this.startedAt = Date.now();
    child.on("error", (e) => this.onExit(child, 127, null, e.message));
    child.on("exit", (code, sig) => this.onExit(child, code, sig, ""));
  }

  private onExit(child: ChildProcess, code: number | null, sig: NodeJS.Signals | null, error: string): void {
    if (this.child !== child) return;
    this.child = null;
    this.healthy = false;
    this.exitCode = code ?? 128 + signalNumber(sig);
    this.signal = sig ?? "";
    this.message = error || describeExit(code, sig);
    if (this.stopping) {
      this.state = "stopped";
      return;
    }
    const d = onTaskExit(this.ctx.jobType, this.exitCode, this.restarts, this.ctx.restart);
    this.ctx.log(`task ${this.spec.name}: ${this.message}`);
    if (d.kind === "done") this.state = "exited";
    else if (d.kind === "failed") {
      this.state = "failed";
      this.message = `${this.message}; gave up after ${this.restarts} restarts`;
    } else {
      this.state = "exited";
      this.restartTimer = setTimeout(() => {
        this.restarts++;
        this.start();
      }, d.delayMs);
    }
  }

  /** Port health: a TCP connect to the task's port on loopback. */
  async checkHealth(): Promise<void> {
    const h = this.spec.health;
    if (!h || this.state !== "running") return;
    if (h.port) {
      const port = this.ctx.ports[h.port];
      this.healthy = port !== undefined && (await tcpOpen(port));
    }
    if (h.cmd) this.healthy = await commandOk(h.cmd, this.ctx.workspace, this.ctx.env);
  }

  /** Stop: SIGTERM to the task's process group, SIGKILL after the timeout. Resolves when it is gone. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (!this.child || !this.pid) {
      this.state = this.state === "running" ? "stopped" : this.state;
      return;
    }
    const pgid = this.pid;
    killGroup(pgid, "SIGTERM");
    const gone = await waitFor(() => !isAlive(pgid), timeoutMs);
    if (!gone) killGroup(pgid, "SIGKILL");
    await waitFor(() => !isAlive(pgid), 5000);
    this.state = "stopped";
  }

  status(): TaskStatus {
    return {
      name: this.spec.name, state: this.state, pid: this.pid, exitCode: this.exitCode, signal: this.signal,
      coreDumped: false, restarts: this.restarts, message: this.message, startedAt: this.startedAt,
      version: String(this.ctx.version),
    };
  }
}

function killGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    /* already gone */
  }
}

function signalNumber(sig: NodeJS.Signals | null): number {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };
  return sig ? (table[sig] ?? 0) : 0;
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port, timeout: 1000 });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
    s.once("timeout", () => (s.destroy(), resolve(false)));
  });
}

function commandOk(cmd: string, cwd: string, env: Record<string, string>): Promise<boolean> {
  return new Promise((resolve) => {
    const c = spawn("/bin/sh", ["-c", cmd], { cwd, env, stdio: "ignore", timeout: 5000 });
    c.on("exit", (code) => resolve(code === 0));
    c.on("error", () => resolve(false));
  });
}
