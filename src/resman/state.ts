// ResMan's records. Hard state (agents' registration, groups, pools, users, grants, quotas) is persisted through
// Write lists the core returns; placement (which container runs where) is soft and rebuilt from agents' reports.
import type { AgentInfo, GroupSpec, Resources, Usage } from "../rpc/types.ts";

export { ContainerRec, NO_BINDINGS, NO_PORTS, NO_REASONS } from "./container-rec.ts";

export interface ResManConfig {
  /** After a failover, how long to wait for AppMaster's full requests before scheduling anyway (see awaitingAm). */
  amWaitMs: number;
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
  /** Usage-only changes reach AppMaster's hints at this many containers per second (see hint-versions.ts). */
  usageHintsPerSec: number;
  /** The load score's cpu utilisation target (0..1) for every agent, and per pool; the scheduler's default when absent. */
  loadTarget?: number;
  poolLoadTargets?: Record<string, number>;
}

/** ResMan's defaults, the one place they are written: `galaxy resman`'s flag defaults are formatted from these. */
export const DEFAULT_CONFIG: ResManConfig = {
  amWaitMs: 60_000,
  agentTimeoutMs: 10_000,
  recoveryMs: 5_000,
  heartbeatIntervalMs: 1_000,
  autoPool: false,
  safeModeFraction: 0.8,
  safeModeTimeoutMs: 30_000,
  retryMs: 5_000,
  usageHintsPerSec: 10_000,
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
