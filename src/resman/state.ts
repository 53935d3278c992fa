// ResMan's records. Hard state (agents' registration, groups, pools, users, grants, quotas) is persisted through
// Write lists the core returns; placement (which container runs where) is soft and rebuilt from agents' reports.
import type { AgentInfo, ContainerState, GroupSpec, PortBinding, Resources, Usage } from "../rpc/types.ts";

export interface ResManConfig {
  /** An agent silent this long is dead: its offline containers are rescheduled, online ones marked lost. */
  agentTimeoutMs: number;
  /** After taking leadership, no scheduling and no timeouts until every known agent reported or this passes. */
  recoveryMs: number;
  heartbeatIntervalMs: number;
  /** Register agents into pools that do not exist yet (creating them) instead of refusing them. */
  autoPool: boolean;
}

export const DEFAULT_CONFIG: ResManConfig = {
  agentTimeoutMs: 10_000,
  recoveryMs: 5_000,
  heartbeatIntervalMs: 1_000,
  autoPool: false,
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

export interface AgentRec extends AgentHard {
  lastHeartbeat: number;
  dead: boolean;
  /** Reported since this leader took over (recovery ends when every known agent has). */
  reported: boolean;
  capsVersion: number;
  usage: Usage | null;
}

export interface ContainerRec {
  id: string;
  group: string;
  index: number;
  agent: string; // "" while pending
  ports: PortBinding[];
  state: ContainerState;
  pid: number;
  startedAt: number;
  exitCode: number;
  message: string;
  usage: Usage | null;
  grantedAt: number;
  /** Reported by an agent for a group ResMan does not know yet: held, as if requested, until the group appears. */
  orphan: boolean;
  resources: Resources;
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
