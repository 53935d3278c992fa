// Plain data the scheduler works on. ResMan's shell builds these views from its tables; nothing here does I/O.
import type { AgentState, JobType, PortBinding, PortRequest, Resources, VolumeRequest } from "../core/domain.ts";

/** Where a disk or ssd volume lives: the wire's VolumeBinding. */
export interface VolumeBinding {
  path: string; // in the container
  hostPath: string; // the device's path on the agent
  size: number; // exclusive: the device's size; shared: the volume's size
  medium: string;
  shared: boolean; // a shared volume on the device (false: the device is the volume's alone)
}

/** A shared volume's bytes on a device. */
export interface DeviceShare {
  readonly path: string; // the device
  readonly size: number;
}

/** Where a container's persistent data is: the agent, and the device of each volume (by its path in the container). */
export interface SchedHome {
  readonly agent: string;
  readonly devices: Readonly<Record<string, string>>;
  /** Only there (`sticky: true`); else there when it fits, elsewhere when not. */
  readonly sticky: boolean;
}

/** A storage device of an agent: an exclusive volume takes it whole, shared volumes take their size of it. */
export interface SchedDevice {
  readonly medium: string; // disk | ssd
  readonly path: string;
  readonly size: number;
}

/** A usage profile: cpu (millicores) and memory (bytes) at each of a fixed number of time points (issue 18, item 3). */
export interface SchedProfile {
  readonly cpu: Float64Array;
  readonly memory: Float64Array;
}

/** The profiled containers on an agent: their curves summed per point, and the peaks they are charged (in `assigned`). */
export interface AgentProfile extends SchedProfile {
  readonly peakCpu: number;
  readonly peakMemory: number;
}

/** binpack: fullest first; spread: fewest of the group, emptiest first; load: least added load cost (score.ts). */
export type ScoreKind = "binpack" | "spread" | "load";
export const SCORE_KINDS: readonly ScoreKind[] = ["binpack", "spread", "load"];

/** A container already placed on an agent, as preemption sees it. */
export interface SchedContainer {
  readonly id: string;
  readonly groupId: string;
  readonly jobType: JobType;
  /** What it is charged on the agent (exclusive devices at their full size). */
  readonly charged: Resources;
  readonly ports: readonly number[];
  /** Device paths it holds exclusively. */
  readonly devices: readonly string[];
  /** Its shared volumes' bytes per device (none: no shared volume on a device). */
  readonly shares?: readonly DeviceShare[];
  /** Its usage profile, when it was placed with one (evicting it takes its curves off the agent's sums). */
  readonly profile?: SchedProfile;
}

export interface SchedAgent {
  readonly endpoint: string;
  readonly pool: string;
  readonly labels: readonly string[];
  readonly state: AgentState;
  readonly total: Resources;
  /** Sum of what the containers placed on it are charged. */
  readonly assigned: Resources;
  readonly usedPorts: ReadonlySet<number>;
  readonly portMin: number;
  readonly portMax: number;
  /** Containers per group already on this agent (for max_per_host). */
  readonly groupCount: ReadonlyMap<string, number>;
  readonly batchCount: number;
  /** Per-agent cap on batch (and best-effort) containers; 0 means none. */
  readonly maxBatch: number;
  /** Devices for exclusive volumes, and the paths of those already taken. */
  readonly devices: readonly SchedDevice[];
  readonly takenDevices: ReadonlySet<string>;
  /** Bytes of shared volumes placed on each device (absent or missing: none). */
  readonly deviceUsed?: ReadonlyMap<string, number>;
  /**
   * Assigned but idle cpu and memory of the guaranteed (non best-effort) containers, from the agent's reported
   * usage: best-effort containers may use it ("deep" assignment). Zero when unknown.
   */
  readonly idle: Resources;
  /** The load score's cpu utilisation target (0..1; DEFAULT_LOAD_TARGET when absent): ResMan's cluster default or the pool's. */
  readonly loadTarget?: number;
  /** Sums of the profiled containers' curves (none: no profiled container here). */
  readonly profile?: AgentProfile;
  /** Memory pressure reported: no deep assignment here. */
  readonly pressure: boolean;
  /** The containers placed on it; read only by preemption (may be computed lazily by a getter). */
  readonly containers: readonly SchedContainer[];
  /**
   * A view kept across passes brings its fields up to date here; place() calls it once per pass, before it first
   * reads the agent (WorkingFleet.at; agents a pass never reads cost nothing).
   */
  refresh?(): void;
}

/**
 * One anti-affinity constraint on placing a group's container (anti-affinity.ts builds them from job rules): where
 * any of `holders` runs (always, when empty), the containers of the `counted` groups on the agent, the new one
 * included when its group is counted, must stay <= maxPerHost.
 */
export interface SchedAntiAffinity {
  readonly holders: readonly string[];
  readonly counted: readonly string[];
  readonly maxPerHost: number;
}

/** One equivalence class: the identical pending containers of one group. */
export interface SchedGroup {
  readonly id: string;
  readonly jobType: JobType;
  /** Per container, every volume included (tmpfs in memory, disk and ssd volumes by medium). */
  readonly resources: Resources;
  readonly ports: readonly PortRequest[];
  readonly volumes: readonly VolumeRequest[];
  readonly pools: readonly string[];
  readonly labels: readonly string[];
  readonly maxPerHost: number; // 0: no limit
  /** Anti-affinity with other jobs (its own rules and the reverse of others'); none when absent. */
  readonly antiAffinity?: readonly SchedAntiAffinity[];
  readonly spread: boolean;
  /**
   * Its containers' usage over time: cpu and memory are checked as the sum of the curves at every point (plus the
   * peaks of the agent's containers without one) instead of the sum of peaks. Charged at its peaks all the same.
   */
  readonly profile?: SchedProfile;
  /** How agents are ranked (`deploy.score`); `spread: true` means spread whatever this says. Default: DEFAULT_SCORE. */
  readonly score?: ScoreKind;
  readonly blacklist: readonly string[];
  /** Where its (one) pending container's persistent data is: placed there when it fits (sticky: only there). */
  readonly home?: SchedHome;
  /** Container ids to place, in order. */
  readonly pending: readonly string[];
}

export interface Placement {
  containerId: string;
  groupId: string;
  agent: string;
  ports: PortBinding[];
  /** Disk and ssd volumes: the device each one took (exclusive: size = device size; shared: the volume's). */
  bindings: VolumeBinding[];
  /** What the container is charged on the agent. */
  charged: Resources;
  /** Containers evicted to make room (preemption); empty for an ordinary placement. */
  victims: string[];
}

export interface GroupOutcome {
  groupId: string;
  placed: number;
  unplaced: string[];
  /** Rejection reason -> number of agents rejected for it (empty when all were placed). */
  reasons: Record<string, number>;
}

/** A container taken off its agent by preemption. */
export interface Eviction {
  containerId: string;
  groupId: string;
  agent: string;
  /** The container it made room for. */
  by: string;
  byType: JobType;
}

export interface ScheduleResult {
  placements: Placement[];
  outcomes: GroupOutcome[];
  evictions: Eviction[];
}

export interface ScheduleOptions {
  /** Seeds the tie-break shuffle: the same input and seed give the same placements. */
  seed: number;
  /** Let pending containers evict strictly less important ones when nothing else fits (default true). */
  preempt?: boolean;
  /**
   * The disruption budget of online victims: how many more containers of a service group preemption may take now
   * (asked once per group and pass, then counted down). Absent: no limit. Batch and best-effort have none.
   */
  victimBudget?: (groupId: string) => number;
}
