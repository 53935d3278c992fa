// The domain vocabulary every role shares: job types and their importance, the states of agents, containers, jobs,
// pods and tasks, and the plain resource shapes. The wire (proto/galaxy.proto) carries these as strings and numbers;
// src/rpc/types.ts re-exports them and checks at compile time that the generated messages still fit them.

/** Job types, most important first (jobspec.md). */
export const JOB_TYPES = ["monitor", "service", "batch", "best-effort"] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const AGENT_STATES = ["alive", "dead", "offline", "draining"] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export const CONTAINER_STATES = ["pending", "allocated", "creating", "running", "exited", "failed", "lost", "destroying"] as const;
export type ContainerState = (typeof CONTAINER_STATES)[number];

export const JOB_STATES = ["pending", "running", "updating", "update_paused", "destroying", "finished"] as const;
export type JobState = (typeof JOB_STATES)[number];

export const POD_STATES = ["pending", "deploying", "starting", "running", "finished", "failed", "stopping", "terminated", "lost"] as const;
export type PodState = (typeof POD_STATES)[number];

export const TASK_STATES = ["pending", "deploying", "starting", "running", "exited", "failed", "stopped"] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const WORKER_COMMANDS = ["none", "deploy", "start", "stop", "rebuild", "reload", "suspend", "terminate", "quit"] as const;
export type WorkerCommand = (typeof WORKER_COMMANDS)[number];

/** Whether `s` is one of the words of `words` (narrows a wire string to the union). */
export function isOneOf<T extends string>(words: readonly T[], s: string): s is T {
  return (words as readonly string[]).includes(s);
}

export const isJobType = (s: string): s is JobType => isOneOf(JOB_TYPES, s);

/**
 * A job type read from a wire message or a record: proto3's empty string (a field an older sender left out) is a
 * service, the type a job file defaults to. Anything else unknown is a broken invariant (ResMan and AppMaster refuse
 * unknown types when a group is created), so it throws.
 */
export function jobTypeOf(s: string): JobType {
  if (s === "") return "service";
  if (isJobType(s)) return s;
  throw new Error(`unknown job type ${JSON.stringify(s)}`);
}

/** Importance, highest first: a pending container may preempt only strictly less important ones. */
export const IMPORTANCE: Record<JobType, number> = { monitor: 3, service: 2, batch: 1, "best-effort": 0 };
/** Online jobs (monitor, service) are never disturbed by recovery and preempt batch work. */
export const isOnline = (t: string): boolean => t === "monitor" || t === "service";

/** CPU in millicores, sizes in bytes. */
export interface Resources {
  millicores: number;
  memory: number;
  disk: number;
  ssd: number;
}
export const emptyResources = (): Resources => ({ millicores: 0, memory: 0, disk: 0, ssd: 0 });

/** A named port a task asks for; 0 = dynamic (ResMan allocates from the agent's range). */
export interface PortRequest {
  name: string;
  port: number;
}
/** A port ResMan allocated. */
export interface PortBinding {
  name: string;
  port: number;
}
/** A volume a pod asks for: medium disk | ssd | tmpfs. */
export interface VolumeRequest {
  path: string;
  size: number;
  medium: string;
  exclusive: boolean;
  readonly: boolean;
  /** Its data outlives the container (kept per container id on the device that holds it). */
  persistent?: boolean;
  /** Persistent: the container may only go where its data is. */
  sticky?: boolean;
  /** Persistent: kept this long after its job is removed (0: removed with the job). */
  retentionMs?: number;
}
