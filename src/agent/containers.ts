// The agent's container table: checkpoint in LMDB first, then act (create: ports, volumes, cgroup, namespaces,
// worker; destroy: SIGTERM, cgroup kill, unmount, delete). Workers run detached (their own session), so an agent
// restart never touches them; recover() re-adopts them. A namespaced container's init holds its namespaces for its
// whole life, so that a restarted worker runs inside them, beside its tasks (container-procs.ts).
//
//   create ─► creating ─(ports free, volumes made, cgroup, worker spawned)─► running ─(worker exits 0)─► exited
//                 └──────────(port taken, setup failed)──► failed ◄──(disk over size, evicted)──┘
//   any ─(cap revoked)─► destroying ─► gone (its workspace is kept for --gc-delay: gc.ts)
import { writeFileSync } from "node:fs";
import { removeHostPod, writeHostPod } from "../sys/host-pods.ts";
import { join } from "node:path";
import type { Cap, ContainerReport } from "../rpc/types.ts";
import type { Store, Table } from "../store/index.ts";
import { selfCommand } from "../sys/self.ts";
import { isAlive, processStartTicks, signal, waitFor } from "../sys/proc.ts";
import type { CgroupDriver } from "./cgroup/driver.ts";
import { type HostLayout, containersDir, makeContainerFs, mountPlanOf, planContainerFs, removeContainerFs } from "./container-fs.ts";
import { hasInit, initAlive, logTail, readExitStatus, spawnWorker, startInit, stopTarget, WORKER_UP_WAIT_MS, workerLog, workerUpSince } from "./container-procs.ts";
import {
  type ContainerCheckpoint, type LocalState, WORKER_LIMITS, cgroupName, classifyWorkerExit, diffCaps, limitsOf, stopTimeoutOf,
  withOomCause, workerCgroupName, workerRestartDelay,
} from "./core.ts";
import { WorkspaceGc } from "./gc.ts";
import type { HostWorkerProc } from "./host-worker-proc.ts";
import { type Namespace, WORKER_EXIT_FILE } from "./launch.ts";
import { workerEnvOf } from "./worker-env.ts";
import { recentListeningPorts, portConflictMessage, takenPorts } from "./ports.ts";
import { DEFAULT_MAX_STARTING, StartGate } from "./start-gate.ts";
import { allocateUid, type UidRange } from "./task-uids.ts";
import { UsageMeter } from "./usage.ts";
import { blockDevicesOf, fsFree } from "./volume-io.ts";
import { volumeEnv } from "./volumes.ts";

export interface ContainerManagerOptions {
  endpoint: string;
  layout: HostLayout;
  driver: CgroupDriver;
  store: Store;
  /** [] = no namespaces (process groups) */
  namespaces: Namespace[];
  /** Environment every worker gets (how to reach AppMaster). */
  workerEnv: Record<string, string>;
  podToken: (containerId: string) => string;
  /** How long a worker gets after SIGTERM to stop its tasks when its cap names no stop timeout. */
  stopGraceMs: number;
  /** How long a failed container's workspace is kept after it is destroyed. */
  gcDelayMs: number;
  log: (msg: string) => void;
  /** the worker's argv (default: this executable's `appworker`) */
  worker?: string[];
  /** the ports something listens on (tests give a fixed set) */
  listening?: () => ReadonlySet<number>;
  /** the uids tasks run as, one per container (null: tasks run as the worker's user; not root) */
  taskUids?: UidRange | null;
  /** how many containers start at once (the others wait, "creating"; default DEFAULT_MAX_STARTING) */
  maxStarting?: number;
  /** the host worker (issue 22): it serves the containers checkpointed `hostWorker` (started when one needs it) */
  hostWorker?: HostWorkerProc;
  /** new namespaced containers are served by the host worker (`--host-worker`); else each gets a worker of its own */
  hostWorkerForNew?: boolean;
  /** hold a start's slot until its worker wrote its state file (the real appworker does at start; test workers do not) */
  waitWorkerUp?: boolean;
  /** whether the launch can drop to the task uid (root and setpriv(1)); false: degraded, tasks keep the worker's user */
  dropPrivileges?: boolean;
}

export class ContainerManager {
  readonly table: Table<ContainerCheckpoint>;
  readonly held = new Map<string, ContainerCheckpoint>();
  readonly usage = new UsageMeter();
  readonly gc: WorkspaceGc;
  private readonly gate: StartGate;
  private readonly busy = new Set<string>(); // containers with a create/destroy/kill in flight
  private readonly restartAt = new Map<string, { at: number; why: string }>();
  private granted: Map<string, Cap> | null = null; // the last cap set from ResMan (null until one arrives)

  constructor(readonly o: ContainerManagerOptions) {
    this.table = o.store.table<ContainerCheckpoint>("containers");
    this.gc = new WorkspaceGc(o.store, o.log);
    this.gate = new StartGate(o.maxStarting ?? DEFAULT_MAX_STARTING);
    for (const cp of this.table.list()) this.held.set(cp.id, cp);
  }

  private writes: Promise<void> = Promise.resolve();

  /**
   * Notes a container's state in LMDB. The commit runs off the event loop (lmdb batches every write of one event turn
   * into one commit and flushes it on its own thread): a synchronous commit per checkpoint (3-4 per create, 3 per
   * destroy) held the heartbeat for seconds under a 500-container churn. Whoever acts on a checkpoint awaits
   * `durable()` first, so the order checkpoint-then-act holds.
   */
  private checkpoint(cp: ContainerCheckpoint): void {
    this.held.set(cp.id, cp);
    this.track(this.o.store.write((tx) => tx.put(this.table, cp.id, cp))); // encoded now: later changes are the next write's
  }

  private track(write: Promise<void>): void {
    const done = write.catch((e) => this.o.log(`agent: cannot checkpoint: ${(e as Error).message}`));
    this.writes = this.writes.then(() => done);
  }

  /** Resolves once every checkpoint made so far is on disk. */
  durable(): Promise<void> {
    return this.writes;
  }

  private setState(cp: ContainerCheckpoint, state: LocalState, message: string): void {
    cp.state = state;
    cp.message = message;
    this.checkpoint(cp);
  }

  /** After an agent restart: re-adopt live workers, finish half-done work, restart dead workers. */
  async recover(): Promise<void> {
    for (const cp of [...this.held.values()]) {
      if (cp.state === "destroying") void this.destroy(cp.id);
      else if (cp.state === "creating") {
        this.o.log(`agent: ${cp.id} was half-created; cleaning it up and building it again`);
        this.busy.add(cp.id);
        for (const g of cgroupsOf(cp)) await this.o.driver.kill(g).catch(() => {});
        this.busy.delete(cp.id);
        void this.build(cp);
      } else if (cp.state === "running" && isAlive(cp.pid, cp.pidStart)) await this.readopt(cp);
      else if (cp.state === "running") this.startWorker(cp, "its worker died while the agent was down");
    }
  }

  private async readopt(cp: ContainerCheckpoint): Promise<void> {
    if (this.o.driver.kind === "none") {
      await this.o.driver.create(cp.cgroup, limitsOf(cp.cap, undefined, ioDevices(cp)));
      this.o.driver.addProcess(cp.cgroup, cp.pid);
    }
    this.o.log(`agent: re-adopted ${cp.id} (pid ${cp.pid})`);
  }

  /** The cap set from ResMan: refresh() builds what is new and destroys what left it (or was granted anew). */
  grant(caps: readonly Cap[]): void {
    this.granted = new Map(caps.map((c) => [c.containerId, c]));
    this.refresh();
  }

  /** Checkpoints the cap, then builds the container. */
  create(cap: Cap): void {
    const cp: ContainerCheckpoint = {
      id: cap.containerId, cap, state: "creating", cgroup: cgroupName(this.o.endpoint, cap.containerId),
      workspace: join(containersDir(this.o.layout), cap.containerId), pid: 0, pidStart: 0, startedAt: 0, message: "",
      exitCode: 0, workerRestarts: 0, namespaces: this.o.namespaces, failedAt: 0, oomKills: 0, diskOverSince: 0,
      ...(this.o.driver.kind === "none" ? {} : { workerCgroup: workerCgroupName(this.o.endpoint, cap.containerId) }),
      ...(this.o.hostWorker && this.o.hostWorkerForNew && this.o.namespaces.length > 0 ? { hostWorker: true } : {}),
    };
    const range = this.o.taskUids;
    const uid = range ? allocateUid(range, [...this.held.values()].map((h) => h.taskUid)) : 0;
    if (uid === null) return this.markFailed(cp, `cannot create container: every task uid of ${range!.min}-${range!.max} is in use`);
    if (uid > 0) cp.taskUid = uid;
    this.checkpoint(cp); // the uid is the container's from now on: a restarted agent keeps it
    void this.build(cp);
  }

  private async build(cp: ContainerCheckpoint): Promise<void> {
    const taken = takenPorts(cp.cap.ports, this.o.listening ? this.o.listening() : recentListeningPorts());
    if (taken.length > 0) return this.markFailed(cp, portConflictMessage(taken)); // at once, without waiting a turn
    this.busy.add(cp.id);
    await this.gate.enter(); // its turn: a bounded number start at once (start-gate.ts)
    try {
      await this.durable(); // its checkpoint is on disk before anything is made
      const free = new Map(this.o.layout.devices.map((d) => [d.path, fsFree(d.path)]));
      planContainerFs(cp, this.o.layout, free);
      this.checkpoint(cp); // volumes and mounts are known before any is made
      await this.durable();
      makeContainerFs(cp, (cp.namespaces ?? []).length > 0, () => this.checkpoint(cp));
      await this.o.driver.create(cp.cgroup, limitsOf(cp.cap, undefined, ioDevices(cp))); // off the event loop: heartbeats go on meanwhile
      if (cp.workerCgroup) await this.o.driver.create(cp.workerCgroup, WORKER_LIMITS);
      if (!hasInit(cp) || (await this.startInit(cp))) {
        const spawnedAt = Date.now();
        this.startWorker(cp, "");
        // the slot is held until the worker is up (its state file written), so that start-ups never pile up
        if (cp.state === "running" && this.o.waitWorkerUp && !cp.hostWorker) await waitFor(() => workerUpSince(cp.workspace, spawnedAt), WORKER_UP_WAIT_MS, 100);
      }
    } catch (e) {
      this.markFailed(cp, `cannot create container: ${(e as Error).message}`);
    } finally {
      this.gate.leave();
      this.busy.delete(cp.id);
      if (this.granted && !this.granted.has(cp.id)) queueMicrotask(() => this.refresh()); // revoked meanwhile: now, not at the next beat
    }
  }

  private markFailed(cp: ContainerCheckpoint, message: string): void {
    cp.failedAt = Date.now();
    this.setState(cp, "failed", message);
    this.o.log(`agent: ${cp.id} failed: ${message}`);
  }

  /** Makes the namespaces and mounts of a container and checkpoints its init; false (and failed) when it cannot. */
  private async startInit(cp: ContainerCheckpoint): Promise<boolean> {
    const procs = this.o.driver.procsFiles(cp.workerCgroup ?? cp.cgroup).join(" ");
    const env = { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", GALAXY_CONTAINER_ID: cp.id, GALAXY_CGROUP_PROCS: procs };
    const r = await startInit(cp, mountPlanOf(cp, this.o.layout, this.workerArgv()), env);
    if (r.ok) {
      cp.initPid = r.pid;
      cp.initStart = r.start;
      this.checkpoint(cp);
      return true;
    }
    const v = classifyWorkerExit(r.code, r.signal, logTail(workerLog(cp)));
    this.markFailed(cp, v.kind === "failed" ? v.message : `container setup failed: ${r.message}`);
    return false;
  }

  /** Starts the worker, inside the container's namespaces when it has an init; makes them again when the init died. */
  private startWorker(cp: ContainerCheckpoint, why: string): void {
    if (hasInit(cp) && !initAlive(cp)) {
      if (this.busy.has(cp.id)) return this.markFailed(cp, "container setup failed: its init died as it started");
      return void this.relaunch(cp, why);
    }
    if (why) this.o.log(`agent: starting the worker of ${cp.id} again: ${why}`);
    this.restartAt.delete(cp.id);
    if (cp.hostWorker) return this.serve(cp, why);
    const env = this.workerEnv(cp, this.o.driver.procsFiles(cp.workerCgroup ?? cp.cgroup));
    let child: ReturnType<typeof spawnWorker>;
    try {
      child = spawnWorker(cp, this.workerArgv(), env, hasInit(cp) ? (this.o.layout.clusterDir ?? "") : "");
    } catch (e) {
      // e.g. its workspace is gone: runs from a worker's exit event, where a throw would take the agent down
      return this.markFailed(cp, `cannot start its worker: ${(e as Error).message}`);
    }
    const pid = child.pid ?? 0;
    child.on("exit", (code, sig) => this.onWorkerExit(cp.id, pid, code, sig));
    if (this.o.driver.kind === "none" && pid) this.o.driver.addProcess(cp.cgroup, pid);
    cp.pid = pid;
    cp.pidStart = processStartTicks(pid);
    cp.startedAt = Date.now();
    cp.workerRestarts += why ? 1 : 0;
    this.setState(cp, "running", why || cp.message); // why it was restarted, or what was noted before
  }

  /** Hands a container to the host worker: its pod file (what its worker would get), its pid that of its init. */
  private serve(cp: ContainerCheckpoint, why: string): void {
    try {
      writeFileSync(join(cp.workspace, WORKER_EXIT_FILE), ""); // an earlier status must not be read as this one's
      this.writePodFile(cp, 0);
    } catch (e) {
      return this.markFailed(cp, `cannot start its worker: ${(e as Error).message}`);
    }
    void this.o.hostWorker?.ensure();
    cp.pid = cp.initPid ?? 0;
    cp.pidStart = cp.initStart ?? 0;
    cp.startedAt = Date.now();
    cp.workerRestarts += why ? 1 : 0;
    this.setState(cp, "running", why || cp.message);
  }

  private hostDir(): string {
    return this.o.hostWorker?.o.dir ?? join(this.o.layout.dataDir, "host-worker");
  }

  /** What the host worker serves of a container (host-pods.ts); `stopMs` > 0: stop its tasks. */
  private writePodFile(cp: ContainerCheckpoint, stopMs: number): void {
    const env = this.workerEnv(cp, this.o.driver.procsFiles(cp.workerCgroup ?? cp.cgroup), true);
    writeHostPod(this.hostDir(), { containerId: cp.id, env, initPid: cp.initPid ?? 0, initStart: cp.initStart ?? 0, namespaces: cp.namespaces ?? [], stopMs });
  }

  /**
   * The init of a container is gone (killed; or an older agent started the container): with a pid namespace every
   * process of the container went with it. Its namespaces and mounts are made again, then the worker is started.
   */
  private async relaunch(cp: ContainerCheckpoint, why: string): Promise<void> {
    this.busy.add(cp.id);
    this.restartAt.delete(cp.id);
    try {
      this.o.log(`agent: ${cp.id}: its init${cp.initPid ? ` (pid ${cp.initPid})` : ""} is gone; making its namespaces again`);
      if (await this.startInit(cp)) this.startWorker(cp, why || "its init was gone");
    } catch (e) {
      this.markFailed(cp, `cannot start container: ${(e as Error).message}`);
    } finally {
      this.busy.delete(cp.id);
    }
  }

  private workerArgv(): string[] {
    return this.o.worker ?? [...selfCommand(), "appworker"];
  }

  private workerEnv(cp: ContainerCheckpoint, procs: string[], host = false): Record<string, string> {
    return workerEnvOf(cp, { ...this.o, procs, host });
  }

  private onWorkerExit(id: string, pid: number, code: number | null, sig: string | null): void {
    const cp = this.held.get(id);
    if (!cp || cp.pid !== pid || cp.state !== "running" || this.restartAt.has(id)) return;
    // served by the host worker, its pid is its init's: gone without a status, it was killed (pid 1 takes no other signal)
    const v = cp.hostWorker && code === null
      ? { kind: "restart" as const, message: "its init was killed by SIGKILL (every process of the container with it)" }
      : classifyWorkerExit(code, sig, logTail(workerLog(cp)));
    cp.exitCode = code ?? -1;
    const message = this.oomCause(cp, v.message, code, sig);
    if (v.kind === "exited") this.setState(cp, "exited", message);
    else if (v.kind === "failed") this.markFailed(cp, message);
    else this.scheduleRestart(cp, message);
  }

  /** A worker's exit message, with "out of memory" when its cgroup's OOM killer struck since the last sample. */
  private oomCause(cp: ContainerCheckpoint, message: string, code: number | null, sig: string | null): string {
    try {
      const u = this.o.driver.usage(cp.cgroup);
      const out = withOomCause(message, { code, sig }, cp.oomKills ?? 0, u.oomKills, u.memoryLimit);
      cp.oomKills = Math.max(cp.oomKills ?? 0, u.oomKills);
      return out;
    } catch {
      return message; // its cgroup is gone: nothing to read
    }
  }

  /** A crashed worker starts again at once, then with back-off while it keeps crashing within a minute of starting. */
  private scheduleRestart(cp: ContainerCheckpoint, why: string): void {
    const quick = Date.now() - cp.startedAt < 60_000;
    const delay = workerRestartDelay(quick ? cp.workerRestarts : 0);
    if (delay === 0) return this.startWorker(cp, why);
    this.o.log(`agent: ${cp.id}: ${why}; starting it again in ${delay} ms`);
    this.restartAt.set(cp.id, { at: Date.now() + delay, why });
  }

  /** Every heartbeat: restart dead workers (after a re-adoption nobody waits on them), destroy what was revoked. */
  refresh(now = Date.now()): void {
    const diff = this.granted ? diffCaps(this.held, [...this.granted.values()]) : { create: [], destroy: [] };
    const revoked = new Set(diff.destroy); // left the cap set, or granted anew (a new generation: recreate)
    let served = false;
    for (const cp of this.held.values()) {
      served ||= !!cp.hostWorker && cp.state === "running";
      if (this.busy.has(cp.id)) continue;
      if (revoked.has(cp.id) || (this.granted && cp.state === "destroying")) void this.destroy(cp.id);
      else if (cp.hostWorker && cp.state === "running" && isAlive(cp.pid, cp.pidStart)) {
        const code = readExitStatus(cp.workspace); // the host worker ended its pod (terminated as told)
        if (code !== null) this.onWorkerExit(cp.id, cp.pid, code, null);
      }
      else if (cp.state === "running" && !isAlive(cp.pid, cp.pidStart)) {
        const pending = this.restartAt.get(cp.id);
        // Not our child after a re-adoption: its wrapper left the worker's exit status in the workspace.
        if (pending === undefined) this.onWorkerExit(cp.id, cp.pid, readExitStatus(cp.workspace), null);
        else if (now >= pending.at) this.startWorker(cp, pending.why);
      }
    }
    if (served) void this.o.hostWorker?.ensure(); // killed or crashed: started again (it re-adopts every pod)
    // New caps; also one granted again while its previous container was still being destroyed (built once it is gone).
    for (const cap of diff.create) if (!this.busy.has(cap.containerId)) this.create(cap);
  }

  /** Kills every process of a container that must stop now (disk over size, memory pressure); keeps it, failed. */
  async fail(id: string, message: string): Promise<void> {
    const cp = this.held.get(id);
    if (!cp || this.busy.has(id) || cp.state === "destroying") return;
    this.busy.add(id);
    try {
      this.markFailed(cp, message);
      for (const g of cgroupsOf(cp)) await this.o.driver.kill(g);
    } catch (e) {
      this.o.log(`agent: killing ${id} failed: ${(e as Error).message}`);
    } finally {
      this.busy.delete(id);
    }
  }

  /** SIGTERM to the worker (it stops its tasks), then the cgroup is killed and everything removed. */
  async destroy(id: string): Promise<void> {
    const cp = this.held.get(id);
    if (!cp || this.busy.has(id)) return;
    this.busy.add(id);
    this.restartAt.delete(id);
    try {
      if (cp.state !== "destroying") this.setState(cp, "destroying", cp.message);
      await this.durable();
      await this.stopWorker(cp);
      for (const g of cgroupsOf(cp)) await this.o.driver.kill(g);
      for (const g of cgroupsOf(cp)) await this.o.driver.remove(g);
      if (cp.hostWorker) removeHostPod(this.hostDir(), id);
      const keep = this.o.gcDelayMs > 0; // every ended container's logs stay readable for --gc-delay (gc.ts)
      removeContainerFs(cp, [...this.held.values()].filter((o) => o.id !== id), keep);
      const failure = (cp.failedAt ?? 0) > 0 ? cp.message : "";
      if (keep) this.gc.keep({ containerId: id, workspace: cp.workspace, owner: cp.cap.user, failure }, Date.now(), this.o.gcDelayMs);
      this.held.delete(id);
      this.usage.forget(id);
      this.track(this.o.store.write((tx) => tx.delete(this.table, id)));
      this.o.log(`agent: destroyed ${id}${keep ? " (its workspace is kept for a while)" : ""}`);
      if (this.granted?.has(id)) queueMicrotask(() => this.refresh()); // granted anew meanwhile: build it now, not at the next beat
    } catch (e) {
      this.o.log(`agent: destroying ${id} failed: ${(e as Error).message}; will retry`);
    } finally {
      this.busy.delete(id);
    }
  }

  private async stopWorker(cp: ContainerCheckpoint): Promise<void> {
    if (!cp.pid || !isAlive(cp.pid, cp.pidStart)) return;
    if (cp.hostWorker) return this.stopServed(cp);
    signal(stopTarget(cp), "SIGTERM"); // the wrapper forwards it to the worker; the init dies with the cgroup kill
    await waitFor(() => !isAlive(cp.pid, cp.pidStart), stopTimeoutOf(cp.cap, this.o.stopGraceMs) + 2000);
  }

  /** Tells the host worker to stop the pod's tasks; waits for its exit status (or the stop timeout). */
  private async stopServed(cp: ContainerCheckpoint): Promise<void> {
    if (readExitStatus(cp.workspace) !== null) return; // ended already
    const stopMs = stopTimeoutOf(cp.cap, this.o.stopGraceMs);
    try {
      this.writePodFile(cp, stopMs);
    } catch {
      return; // its workspace is gone: nothing to stop gracefully
    }
    await waitFor(() => readExitStatus(cp.workspace) !== null || !this.o.hostWorker?.alive(), stopMs + 2000, 100);
  }

  /** Where a container's files are and whose they are: a held one, or an ended one whose workspace is kept. */
  workspaceOf(id: string): { workspace: string; owner: string } | null {
    const cp = this.held.get(id);
    if (cp) return { workspace: cp.workspace, owner: cp.cap.user };
    const kept = this.gc.find(id);
    return kept ? { workspace: kept.workspace, owner: kept.owner } : null;
  }

  /** Checkpoints a change the monitor made to a container (its cpu ceiling, its disk clock). */
  save(id: string): void {
    const cp = this.held.get(id);
    if (cp) this.checkpoint(cp);
  }

  /** Sets the informational message of a running container (OOM kills, disk warnings); checkpointed when it changes. */
  note(id: string, message: string): void {
    const cp = this.held.get(id);
    if (!cp || cp.message === message || cp.state !== "running") return;
    cp.message = message;
    this.checkpoint(cp);
  }

  reports(now: number): ContainerReport[] {
    return [...this.held.values()].map((cp) => ({
      containerId: cp.id, groupId: cp.cap.groupId, state: cp.state, pid: cp.pid, startedAt: cp.startedAt,
      message: cp.message, usage: this.usage.latest(cp.id, now).usage, cap: cp.cap, exitCode: cp.exitCode,
    }));
  }
}

/** A container's cgroups: its tasks' (the job's limits), then its worker's when it has one of its own. */
export const cgroupsOf = (cp: ContainerCheckpoint): string[] => [cp.cgroup, ...(cp.workerCgroup ? [cp.workerCgroup] : [])];

/** The block devices holding a container's workspace and volumes (its io throttles apply on each). */
const ioDevices = (cp: ContainerCheckpoint): string[] => blockDevicesOf([cp.workspace, ...(cp.volumes ?? []).map((v) => v.hostPath)]);
