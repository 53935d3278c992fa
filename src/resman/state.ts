// ResMan's records. Hard state (agents' registration, groups, pools, users, grants, quotas) is persisted through
// Write lists the core returns; placement (which container runs where) is soft and rebuilt from agents' reports.
import type { AgentInfo, ContainerState, GroupSpec, PortBinding, Resources, Usage } from "../rpc/types.ts";
import type { VolumeBinding } from "../scheduler/index.ts";

export interface ResManConfig {
  /** After a failover, how long to wait for AppMaster's full requests before scheduling anyway (see awaitingAm). */
  amWaitMs?: number;
  /** An agent silent this long is dead: its offline containers are rescheduled, online ones marked lost. */
  agentTimeoutMs: number;
  /** After taking leadership, no scheduling and no timeouts until every known agent reported or this passes. */
  recoveryMs: number;
  heartbeatIntervalMs: number;
  /** Register agents into pools that do not exist yet (creating them) instead of refusing them. */
  autoPool: boolean;
  /** Safe mode after start: schedule nothing until this fraction of known agents reported, or the timeout passed. */
  safeModeFraction: number;
  safeModeTimeoutMs: number;
  /** While containers wait, schedule again at least this often (idle resources and usage change without events). */
  retryMs: number;
}

export const DEFAULT_CONFIG: ResManConfig = {
  agentTimeoutMs: 10_000,
  recoveryMs: 5_000,
  heartbeatIntervalMs: 1_000,
  autoPool: false,
  safeModeFraction: 0.8,
  safeModeTimeoutMs: 30_000,
  retryMs: 5_000,
};

export type AdminState = "active" | "offline" | "draining";

/** Persisted part of an agent. */
export interface AgentHard {
  endpoint: string;
  info: AgentInfo;
  pool: string;
  labels: string[];
  admin: AdminState;
  registeredAt: number;
}

export function agentHard(a: AgentHard): AgentHard {
  return { endpoint: a.endpoint, info: a.info, pool: a.pool, labels: a.labels, admin: a.admin, registeredAt: a.registeredAt };
}

export interface AgentRec extends AgentHard {
  lastHeartbeat: number;
  dead: boolean;
  /** Reported since this leader took over (recovery ends when every known agent has). */
  reported: boolean;
  capsVersion: number;
  usage: Usage | null;
  /** Memory pressure on the last heartbeat. */
  pressure: boolean;
  /** Assigned-but-idle cpu and memory of its guaranteed containers (from their reported usage). */
  idle: Resources;
}

export interface ContainerRec {
  id: string;
  group: string;
  index: number;
  agent: string; // "" while pending
  ports: PortBinding[];
  /** "preempted": taken off its agent for a more important container, waiting to be placed again. */
  state: ContainerState | "preempted";
  pid: number;
  startedAt: number;
  exitCode: number;
  message: string;
  usage: Usage | null;
  grantedAt: number;
  /** Reported by an agent for a group ResMan does not know yet: held, as if requested, until the group appears. */
  orphan: boolean;
  /** What it asks for (the group's per-container resources). */
  resources: Resources;
  /** What it is charged on its agent (exclusive volumes at their device's full size). */
  charged: Resources;
  /** Exclusive volumes: the devices they took. */
  bindings: VolumeBinding[];
  /** While pending: why the last pass did not place it, and the count per reason. */
  lastError: string;
  reasons: Record<string, number>;
  /** The agent it was deliberately taken off (preempted, drained, moved): never adopted back from that agent's report. */
  evictedFrom: string;
  preemptedBy: string;
}

/** A user's limits; 0 on a dimension means no limit. */
export interface QuotaRec {
  user: string;
  millicores: number;
  memory: number;
  disk: number;
  ssd: number;
  replica: number;
}

export interface GroupRec {
  spec: GroupSpec;
  lastError: string;
  createdAt: number;
}

export type TableName = "agents" | "groups" | "pools" | "users" | "grants" | "quotas" | "meta";

/** One change to hard state; the shell commits a core call's writes in one transaction before answering. */
export interface Write {
  table: TableName;
  key: string;
  value: unknown | null; // null deletes
}

export const containerId = (group: string, index: number): string => `${group}.${index}`;

export function indexOf(containerId: string): number {
  const i = containerId.lastIndexOf(".");
  const n = Number(containerId.slice(i + 1));
  return i < 0 || !Number.isInteger(n) ? -1 : n;
}
