// Plain data the scheduler works on. ResMan's shell builds these views from its tables; nothing here does I/O.
import type { AgentState, JobType, PortBinding, PortRequest, Resources, VolumeRequest } from "../rpc/types.ts";

export interface SchedAgent {
  readonly endpoint: string;
  readonly pool: string;
  readonly labels: readonly string[];
  readonly state: AgentState;
  readonly total: Resources;
  /** Sum of the resources of the containers placed on it. */
  readonly assigned: Resources;
  readonly usedPorts: ReadonlySet<number>;
  readonly portMin: number;
  readonly portMax: number;
  /** Containers per group already on this agent (for max_per_host). */
  readonly groupCount: ReadonlyMap<string, number>;
  readonly batchCount: number;
  /** Per-agent cap on batch containers; 0 means none. */
  readonly maxBatch: number;
}

/** One equivalence class: the identical pending containers of one group. */
export interface SchedGroup {
  readonly id: string;
  readonly jobType: JobType;
  readonly resources: Resources;
  readonly ports: readonly PortRequest[];
  readonly volumes: readonly VolumeRequest[];
  readonly pools: readonly string[];
  readonly labels: readonly string[];
  readonly maxPerHost: number; // 0: no limit
  readonly spread: boolean;
  readonly blacklist: readonly string[];
  /** Container ids to place, in order. */
  readonly pending: readonly string[];
}

export interface Placement {
  containerId: string;
  groupId: string;
  agent: string;
  ports: PortBinding[];
}

export interface GroupOutcome {
  groupId: string;
  placed: number;
  unplaced: string[];
  /** Rejection reason -> number of agents rejected for it (empty when all were placed). */
  reasons: Record<string, number>;
}

export interface ScheduleResult {
  placements: Placement[];
  outcomes: GroupOutcome[];
}

export interface ScheduleOptions {
  /** Seeds the tie-break shuffle: the same input and seed give the same placements. */
  seed: number;
}
