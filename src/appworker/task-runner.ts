// Runs one task of the pod: `/bin/sh -c start` in the workspace, in its own process group, launched as the container's
// task (task-launch.ts: its uid, no capabilities, in the tasks' cgroup), output appended to logs/<task>.out|.err; restarts it per the pod's policy; stops it with its stop command, then SIGTERM and SIGKILL
// to the whole group. A task left running by a previous worker (it died and was restarted) is adopted, not doubled.
import { keepPreviousRun } from "./log-index.ts";
import { hostPidOf } from "./host-pid.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import type { JobType, TaskSpec } from "../core/jobspec.ts";
import { portEnvName } from "../core/env.ts";
import type { TaskState, TaskStatus } from "../rpc/types.ts";
import { isAlive, processStartTicks, waitFor } from "../sys/proc.ts";
import { describeExit, onTaskExit, type RestartPolicy } from "./core.ts";
import { coreDumped, oomKills } from "./exit-info.ts";
import { type TaskIdentity, taskArgv } from "./task-launch.ts";

export interface TaskContext {
  workspace: string;
  env: Record<string, string>;
  ports: Record<string, number>;
  jobType: JobType;
  restart: RestartPolicy;
  version: number;
  /** who the job's processes run as and where (null: as the worker, in its cgroup) */
  identity: TaskIdentity | null;
  /** the tasks' memory limit in bytes (0: unknown), for the OOM message */
  memoryLimit: number;
  /** the tasks' cgroup file whose `oom_kill N` counts OOM kills (default: GALAXY_OOM_COUNTER) */
  oomCounter?: string;
  /** the pid people see for a launched process, when it is not hostPidOf's (a host worker's: nsenter's child), or null
   * while it is not known yet */
  shownPid?: (pid: number) => number | null;
  log: (msg: string) => void;
  /** Something the worker reports or saves changed. */
  onChange: () => void;
}

/** What the worker's state file keeps of a task. */
export interface TaskSnapshot {
  name: string;
  state: TaskState;
  pid: number;
  pidStart: number;
  startedAt: number;
  restarts: number;
  exitCode: number;
  signal: string;
  message: string;
}

const UNKNOWN_EXIT = "exited (status unknown: it was adopted after a worker restart)";

export class TaskRunner {
  state: TaskState = "pending";
  pid = 0;
  pidStart = 0;
  exitCode = -1;
  signal = "";
  coreDumped = false;
  restarts = 0;
  message = "";
  startedAt = 0;
  healthy = false;
  private child: ChildProcess | null = null;
  private adopted = false;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private stopping = false;
  private oomBefore = 0;
  private lastCheck = 0;
  private checking = false;

  constructor(
    public spec: TaskSpec,
    readonly ctx: TaskContext,
  ) {}

  env(): Record<string, string> {
    const env: Record<string, string> = { ...this.ctx.env, GALAXY_TASK: this.spec.name };
    for (const [name, port] of Object.entries(this.ctx.ports)) env[portEnvName(name)] = String(port);
    return env;
  }

  start(): void {
    if (this.stopping) return;
    const out = openSync(join(this.ctx.workspace, "logs", `${this.spec.name}.out`), "a");
    const err = openSync(join(this.ctx.workspace, "logs", `${this.spec.name}.err`), "a");
    const [cmd, ...args] = taskArgv(this.spec.start, this.ctx.identity);
    const child = spawn(cmd!, args, { cwd: this.ctx.workspace, env: this.env(), detached: true, stdio: ["ignore", out, err] });
    closeSync(out);
    closeSync(err);
    this.child = child;
    this.adopted = false;
    this.pid = child.pid ?? 0;
    this.pidStart = processStartTicks(this.pid);
    Object.assign(this, { state: "running", exitCode: -1, signal: "", coreDumped: false, healthy: !this.spec.health, startedAt: Date.now() });
    this.oomBefore = this.oomCount();
    child.on("error", (e) => this.onExit(child, 127, null, e.message));
    child.on("exit", (code, sig) => this.onExit(child, code, sig, ""));
    this.ctx.onChange();
  }

  private oomCount(): number {
    return oomKills("self", this.ctx.oomCounter ?? process.env.GALAXY_OOM_COUNTER);
  }

  /** Forgets the task without touching it (its container is gone): no restart is started any more. */
  abandon(): void {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  /** Takes over a task a previous worker started; false when it is gone (it then counts as exited). */
  adopt(s: TaskSnapshot): boolean {
    Object.assign(this, { restarts: s.restarts, startedAt: s.startedAt, message: s.message, exitCode: s.exitCode, signal: s.signal });
    if (s.state === "running" && s.pid && isAlive(s.pid, s.pidStart)) {
      Object.assign(this, { state: "running", pid: s.pid, pidStart: s.pidStart, adopted: true, healthy: !this.spec.health });
      return true;
    }
    if (s.state === "running") this.onExit(null, null, null, UNKNOWN_EXIT);
    else this.state = s.state;
    if (s.state === "exited") this.decideRestart(); // a restart was due when the previous worker died
    return false;
  }

  /** Adopted tasks are not our children: notice their end by polling. */
  poll(): void {
    if (this.adopted && this.state === "running" && !isAlive(this.pid, this.pidStart)) this.onExit(null, null, null, UNKNOWN_EXIT);
  }

  private onExit(child: ChildProcess | null, code: number | null, sig: NodeJS.Signals | null, error: string): void {
    if (child && this.child !== child) return;
    this.child = null;
    this.adopted = false;
    this.healthy = false;
    this.exitCode = code ?? (sig ? 128 + signalNumber(sig) : -1);
    this.signal = sig ?? "";
    this.coreDumped = !!sig && coreDumped(sig, this.ctx.workspace, this.pid, this.startedAt);
    const oom = sig === "SIGKILL" && this.oomCount() > this.oomBefore;
    this.message = error || describeExit(code, sig, { oom, core: this.coreDumped, memoryLimit: this.ctx.memoryLimit });
    killGroup(this.pid, "SIGKILL"); // what it left behind in its group (a server's children holding the port)
    if (this.stopping) {
      this.state = "stopped";
    } else {
      this.ctx.log(`task ${this.spec.name}: ${this.message}`);
      this.decideRestart();
    }
    this.ctx.onChange();
  }

  private decideRestart(): void {
    const d = onTaskExit(this.ctx.jobType, this.exitCode, this.restarts, this.ctx.restart);
    if (d.kind === "done") this.state = "exited";
    else if (d.kind === "failed") {
      this.state = "failed";
      this.message = `${this.message}; gave up after ${this.restarts} restarts`;
    } else {
      this.state = "exited";
      this.ctx.log(`task ${this.spec.name}: restarting in ${d.delayMs} ms`);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        this.restarts++;
        keepPreviousRun(join(this.ctx.workspace, "logs"), this.spec.name); // log-index.ts: logs --previous
        this.start();
      }, d.delayMs);
    }
  }

  /** Port health: a TCP connect to the task's port on loopback; command health: exit 0 (at most once a second). */
  async checkHealth(now: number): Promise<void> {
    const h = this.spec.health;
    if (!h || this.state !== "running" || this.checking) return;
    // every tick while not yet healthy (to see readiness at once), then once a second; a command at most once a second
    if ((h.cmd || this.healthy) && now - this.lastCheck < 1000) return;
    this.checking = true;
    this.lastCheck = now;
    let ok = false;
    try {
      if (h.port) {
        const port = this.ctx.ports[h.port];
        ok = port !== undefined && (await tcpOpen(port));
      } else if (h.cmd) {
        ok = (await runCommand(h.cmd, this.ctx.workspace, this.env(), 5000, this.ctx.identity)) === 0;
      }
    } finally {
      this.checking = false;
    }
    if (this.state !== "running") return;
    if (ok !== this.healthy) {
      this.healthy = ok;
      if (!ok) this.ctx.log(`task ${this.spec.name}: health check failing`);
      this.ctx.onChange();
    }
  }

  /** Stop command (if any) and stop_timeout; then SIGTERM, then SIGKILL, to the whole process group. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const pid = this.pid;
    const alive = () => this.state === "running" && pid > 0 && isAlive(pid, this.pidStart);
    if (!alive()) {
      if (this.state === "running" || this.state === "exited" || this.state === "pending") this.state = "stopped";
      return;
    }
    let gone = false;
    if (this.spec.stop) {
      void runCommand(this.spec.stop, this.ctx.workspace, this.env(), timeoutMs, this.ctx.identity);
      gone = await waitFor(() => !alive(), timeoutMs);
    }
    if (!gone) {
      killGroup(pid, "SIGTERM");
      gone = await waitFor(() => !alive(), this.spec.stop ? Math.min(timeoutMs, 5000) : timeoutMs);
    }
    killGroup(pid, "SIGKILL");
    await waitFor(() => !isAlive(pid, this.pidStart), 5000);
    if (this.adopted) this.onExit(null, null, gone ? "SIGTERM" : "SIGKILL", "stopped");
    this.state = "stopped";
  }

  private hostPidCache = { local: 0, host: 0 };

  /** The task's pid as the host sees it (differs inside a pid namespace; looked up once per process). */
  private hostPid(): number {
    if (!this.pid) return 0;
    if (this.hostPidCache.local === this.pid && this.hostPidCache.host) return this.hostPidCache.host;
    if (this.ctx.shownPid) {
      const shown = this.ctx.shownPid(this.pid);
      this.hostPidCache = { local: this.pid, host: shown ?? 0 }; // unknown yet: asked again next time
      return shown ?? this.pid;
    }
    this.hostPidCache = { local: this.pid, host: hostPidOf(this.pid) };
    return this.hostPidCache.host;
  }

  status(): TaskStatus {
    return {
      name: this.spec.name, state: this.state, pid: this.hostPid(), exitCode: this.exitCode, signal: this.signal,
      coreDumped: this.coreDumped, restarts: this.restarts, message: this.message, startedAt: this.startedAt,
      version: String(this.ctx.version), healthy: this.state === "running" && this.healthy,
    };
  }

  snapshot(): TaskSnapshot {
    const { state, pid, pidStart, startedAt, restarts, exitCode, signal, message } = this;
    return { name: this.spec.name, state, pid, pidStart, startedAt, restarts, exitCode, signal, message };
  }
}

function killGroup(pgid: number, sig: NodeJS.Signals): void {
  if (!(pgid > 1)) return;
  try {
    process.kill(-pgid, sig);
  } catch {
    /* already gone */
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
  return table[sig] ?? 0;
}

/** A TCP connect to loopback; closed with a reset, so that health checks leave no TIME_WAIT sockets behind. */
function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port, timeout: 1000 });
    s.once("connect", () => (typeof s.resetAndDestroy === "function" ? s.resetAndDestroy() : s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
    s.once("timeout", () => (s.destroy(), resolve(false)));
  });
}

/** Runs a command of the job's with /bin/sh in the workspace, as its task (`identity`), in its own process group (so
 * nothing it signals can reach the worker); resolves with its exit code, -1 when it timed out (its group is killed)
 * or could not start. */
export function runCommand(cmd: string, cwd: string, env: Record<string, string>, timeoutMs: number, identity: TaskIdentity | null): Promise<number> {
  return new Promise((resolve) => {
    const [sh, ...args] = taskArgv(cmd, identity);
    const c = spawn(sh!, args, { cwd, env, stdio: "ignore", detached: true });
    const timer = setTimeout(() => killGroup(c.pid ?? 0, "SIGKILL"), timeoutMs);
    const done = (code: number) => (clearTimeout(timer), resolve(code));
    c.on("exit", (code) => done(code ?? -1));
    c.on("error", () => done(-1));
  });
}
