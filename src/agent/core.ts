// The agent's decisions, pure: which containers to create and destroy for a cap set, whether a master's epoch is
// acceptable, and the cgroup limits of a cap.
import type { Cap } from "../rpc/types.ts";
import type { Limits } from "./cgroup/driver.ts";

export type LocalState = "creating" | "running" | "exited" | "failed" | "destroying";

/** What the agent checkpoints per container before acting on it. */
export interface ContainerCheckpoint {
  id: string;
  cap: Cap;
  state: LocalState;
  cgroup: string;
  workspace: string;
  pid: number;
  /** /proc start time of the worker, so a recycled pid is never mistaken for it. */
  pidStart: number;
  startedAt: number;
  message: string;
  exitCode: number;
  workerRestarts: number;
}

export interface CapDiff {
  create: Cap[];
  destroy: string[];
}

/** The agent's cap set must equal the master's: create what is new, destroy what is no longer granted. */
export function diffCaps(held: ReadonlyMap<string, ContainerCheckpoint>, caps: readonly Cap[]): CapDiff {
  const wanted = new Map(caps.map((c) => [c.containerId, c]));
  const create = caps.filter((c) => !held.has(c.containerId));
  const destroy = [...held.values()].filter((h) => h.state !== "destroying" && !wanted.has(h.id)).map((h) => h.id);
  return { create, destroy };
}

/** Fencing: a reply from an epoch lower than one already seen comes from a deposed master and is ignored. */
export function acceptEpoch(seen: number, got: number): boolean {
  return got >= seen;
}

export function limitsOf(cap: Cap): Limits {
  return {
    millicores: Math.max(1, cap.resources.millicores),
    cpuExcess: false,
    memory: Math.max(1, cap.resources.memory),
    memoryExcess: false,
    pids: 4096,
  };
}

/** Cgroup name of a container: unique per agent on a host, so several agents can share one machine. */
export function cgroupName(agentEndpoint: string, containerId: string): string {
  return `galaxy/${agentKey(agentEndpoint)}/${containerId}`;
}

export const agentKey = (endpoint: string): string => endpoint.replace(/[^A-Za-z0-9.-]/g, "_");
