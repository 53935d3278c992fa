// The agent's decisions, pure: which containers to create and destroy for a cap set, whether a master's epoch is
// acceptable, the cgroup limits and options of a cap, and how a worker's exit reads.
import { formatSize } from "../core/units.ts";
import type { Cap } from "../rpc/types.ts";
import type { Limits } from "./cgroup/driver.ts";
import type { VolumePlan } from "./volumes.ts";

/** The Linux namespaces a container may get (launch.ts parses and defaults them). */
export type Namespace = "mount" | "uts" | "pid";

export type LocalState = "creating" | "running" | "exited" | "failed" | "destroying";

/** What the agent checkpoints per container before acting on it. */
export interface ContainerCheckpoint {
  id: string;
  cap: Cap;
  state: LocalState;
  cgroup: string;
  workspace: string;
  /** the worker's launch the agent started: the wrapper, or `nsenter` (the wrapper's parent) with namespaces */
  pid: number;
  /** /proc start time of that process, so a recycled pid is never mistaken for it. */
  pidStart: number;
  startedAt: number;
  message: string;
  exitCode: number;
  workerRestarts: number;
  /** namespaces it was started in ([] = none: a process group) */
  namespaces?: Namespace[];
  /** with namespaces: host pid of its init (galaxy-init, pid 1 of its pid namespace), which holds them for its life;
   * a restarted worker enters them through it (nsenter). 0/absent: none yet (or an older agent's container). */
  initPid?: number;
  /** /proc start time of the init */
  initStart?: number;
  /** where each volume lives on this host */
  volumes?: VolumePlan[];
  /** host mounts the agent made for it (tmpfs volumes), unmounted when it is destroyed */
  mounts?: string[];
  /** empty directories created on the host as bind-mount points, removed when no container uses them */
  createdDirs?: string[];
  /** when it failed (0: it did not): its workspace is kept for --gc-delay after it is destroyed */
  failedAt?: number;
  /** OOM kills counted by its memory cgroup when last sampled */
  oomKills?: number;
  /** since when a volume is over its size (0: none is) */
  diskOverSince?: number;
  /** the cpu ceiling (millicores) the soft-limit controller last gave it, when it has cpu excess */
  cpuCeiling?: number;
  /** the uid and gid its tasks run as (from --task-uids; free again once it is destroyed); 0/absent: the worker's */
  taskUid?: number;
  /** the cgroup of its init, wrappers and worker, outside the job's limits (absent: they share `cgroup`, the tasks') */
  workerCgroup?: string;
  /** served by the agent's host worker (appworker --host): no worker process of its own; `pid` is its init's */
  hostWorker?: boolean;
}

export interface CapDiff {
  create: Cap[];
  destroy: string[];
}

/**
 * The agent's cap set must equal the master's: create what is new, destroy what is no longer granted. A cap for a
 * container the agent holds under an older grant (ResMan placed it again, e.g. recreated with new resources) is a new
 * container: the old one is destroyed now and the new one created once it is gone (next reply). Grant time 0 means
 * "unknown" (ResMan holds it on AppMaster's word after a failover) and never replaces anything.
 */
export function diffCaps(held: ReadonlyMap<string, ContainerCheckpoint>, caps: readonly Cap[]): CapDiff {
  const wanted = new Map(caps.map((c) => [c.containerId, c]));
  const create = caps.filter((c) => !held.has(c.containerId));
  const regranted = (h: ContainerCheckpoint) => {
    const c = wanted.get(h.id);
    return !!c && c.grantedAt !== 0 && h.cap.grantedAt !== 0 && c.grantedAt !== h.cap.grantedAt;
  };
  const destroy = [...held.values()].filter((h) => h.state !== "destroying" && (!wanted.has(h.id) || regranted(h))).map((h) => h.id);
  return { create, destroy };
}

/** Fencing: a reply from an epoch lower than one already seen comes from a deposed master and is ignored. */
export function acceptEpoch(seen: number, got: number): boolean {
  return got >= seen;
}

/** How long one ResMan/WatchCaps call waits for new caps before the agent asks again. */
export const WATCH_MS = 25_000;
/** The client's limit on one WatchCaps call: its wait plus room for a busy ResMan. */
export const WATCH_TIMEOUT_MS = WATCH_MS + 5_000;

/**
 * Whether a reply's cap set is newer than the one held: heartbeat and watch replies can cross, and an older set
 * must never replace a newer one. Versions count up within an epoch; a new epoch starts them again.
 */
export function newerCaps(reply: { epoch: number; capsVersion: number }, capsEpoch: number, capsVersion: number): boolean {
  return reply.epoch > capsEpoch || (reply.epoch === capsEpoch && reply.capsVersion > capsVersion);
}

export interface ContainerOptions {
  cpuExcess: boolean;
  memoryExcess: boolean;
  memoryCeiling: number;
  pidsLimit: number;
  ioWeight: number;
  io: IoLimits;
  stopTimeoutMs: number;
  workspaceSize: number;
}

export interface IoLimits {
  weight: number;
  readBps: number;
  writeBps: number;
  readIops: number;
  writeIops: number;
}

/** The cap's options with every absent field (an older ResMan, an older checkpoint) at its default. */
export function optionsOf(cap: Cap): ContainerOptions {
  const c = (cap.container ?? {}) as Partial<ContainerOptions>;
  return {
    cpuExcess: c.cpuExcess ?? false, memoryExcess: c.memoryExcess ?? false, memoryCeiling: Number(c.memoryCeiling ?? 0),
    pidsLimit: c.pidsLimit ?? 0, ioWeight: c.ioWeight ?? 0, io: ioOf(c.io), stopTimeoutMs: Number(c.stopTimeoutMs ?? 0),
    workspaceSize: Number(c.workspaceSize ?? 0),
  };
}

function ioOf(io: Partial<IoLimits> | undefined): IoLimits {
  return {
    weight: io?.weight ?? 0, readBps: Number(io?.readBps ?? 0), writeBps: Number(io?.writeBps ?? 0),
    readIops: Number(io?.readIops ?? 0), writeIops: Number(io?.writeIops ?? 0),
  };
}

/**
 * The cgroup limits of a cap; `cpuCeiling` is the soft-limit controller's current quota for an excess container;
 * `ioDevices` the block devices ("MAJ:MIN") holding its workspace and volumes, which its io throttles apply to.
 */
export function limitsOf(cap: Cap, cpuCeiling?: number, ioDevices: readonly string[] = []): Limits {
  const o = optionsOf(cap);
  const memory = Math.max(1, cap.resources.memory);
  const limits: Limits = {
    millicores: Math.max(1, cap.resources.millicores),
    cpuExcess: o.cpuExcess,
    memory,
    memoryExcess: o.memoryExcess,
    pids: o.pidsLimit || 4096,
  };
  if (o.cpuExcess) limits.cpuCeiling = Math.max(limits.millicores, cpuCeiling ?? limits.millicores);
  if (o.memoryExcess && o.memoryCeiling >= memory) limits.memoryCeiling = o.memoryCeiling;
  const weight = o.io.weight || o.ioWeight;
  if (weight > 0) limits.ioWeight = weight;
  const { readBps, writeBps, readIops, writeIops } = o.io;
  if (ioDevices.length > 0 && (readBps || writeBps || readIops || writeIops)) {
    limits.ioThrottle = { devices: [...ioDevices], readBps, writeBps, readIops, writeIops };
  }
  return limits;
}

/** How long the worker gets after SIGTERM: the job's stop timeout, else the agent's --stop-grace. */
export function stopTimeoutOf(cap: Cap, agentDefaultMs: number): number {
  return optionsOf(cap).stopTimeoutMs || agentDefaultMs;
}

/** Exit codes of the container's launch scripts (see launch.ts). */
export const EXIT_CANNOT_JOIN_CGROUP = 97;
export const EXIT_SETUP_FAILED = 96;

/** What a worker's exit means for its container: restart it, it is done, or the container failed for good. */
export function classifyWorkerExit(code: number | null, sig: string | null, logTail: string): { kind: "exited" | "restart" | "failed"; message: string } {
  if (code === 0) return { kind: "exited", message: "worker exited 0" };
  if (code === EXIT_CANNOT_JOIN_CGROUP) return { kind: "failed", message: "container setup failed: cannot join its cgroup" };
  if (code === EXIT_SETUP_FAILED) {
    return { kind: "failed", message: `container setup failed: ${logTail.trim().split("\n").slice(-2).join("; ") || "mounts"}` };
  }
  if (sig) return { kind: "restart", message: `worker killed by ${sig}` };
  if (code === null) return { kind: "restart", message: "worker is gone (its exit status is unknown)" };
  // The wrapper exits 128+n when the worker was killed by signal n, as shells do.
  return { kind: "restart", message: code > 128 && code < 160 ? `worker killed by signal ${code - 128}` : `worker exited ${code}` };
}

// ───────── why a container's processes died (reported to ResMan, shown by AppMaster) ─────────

/** The note on a running container whose memory cgroup's OOM killer struck (`kills` so far). */
export function oomNote(kills: number, memoryLimit: number): string {
  return `OOM killer: ${kills} process(es) killed at the memory limit${memoryLimit ? ` of ${formatSize(memoryLimit)}` : ""}`;
}

/** The note on a container at its pids limit (no new process starts in it: a fork fails); "" below it. */
export function pidsNote(pids: number, limit: number): string {
  return limit > 0 && pids >= limit ? `pids limit reached: ${pids} of ${limit} processes; no new process can start` : "";
}

/**
 * A worker killed by SIGKILL (or gone without a status) while its cgroup's OOM killer struck was killed for memory:
 * its exit message says so ("worker killed by SIGKILL: out of memory (limit 64M)").
 */
export function withOomCause(message: string, exit: { code: number | null; sig: string | null }, oomBefore: number, oomNow: number, memoryLimit: number): string {
  const killed = exit.sig === "SIGKILL" || exit.code === 137 || (exit.code === null && exit.sig === null);
  if (!killed || oomNow <= oomBefore) return message;
  return `${message}: out of memory${memoryLimit ? ` (limit ${formatSize(memoryLimit)})` : ""}`;
}

/** Back-off before starting a crashed worker again: 0 the first time, then 1 s doubling to 30 s. */
export function workerRestartDelay(restartsSoFar: number): number {
  return restartsSoFar === 0 ? 0 : Math.min(30_000, 1000 * 2 ** Math.min(restartsSoFar - 1, 5));
}

/** Cgroup name of a container (its tasks, with the job's limits): unique per agent on a host, so several agents can
 * share one machine. */
export function cgroupName(agentEndpoint: string, containerId: string): string {
  return `galaxy/${agentKey(agentEndpoint)}/${containerId}`;
}

/** Where an agent's workers live: `galaxy/<agent>/WORKERS_CGROUP/<container>`, beside its containers' task cgroups. */
export const WORKERS_CGROUP = "_workers";

/** Cgroup of a container's init, wrappers and worker: the service layer, not charged to the job's limits. */
export function workerCgroupName(agentEndpoint: string, containerId: string): string {
  return `galaxy/${agentKey(agentEndpoint)}/${WORKERS_CGROUP}/${containerId}`;
}

/** The worker cgroup's limits: no cpu quota (a small weight), a memory ceiling that only a runaway worker meets. */
export const WORKER_LIMITS: Limits = { millicores: 100, cpuExcess: true, memory: 1024 * 1024 * 1024, memoryExcess: false, pids: 1024 };

export const agentKey = (endpoint: string): string => endpoint.replace(/[^A-Za-z0-9.-]/g, "_");
