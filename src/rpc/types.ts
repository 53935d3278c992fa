// Domain types: the plain (decoded) form of the wire messages, as every role sees them.
// Protobuf stays at the edge: src/rpc converts bytes <-> these objects; nothing else touches generated classes.
import type { galaxy } from "./gen/galaxy.js";
import type { Plain } from "./gen/methods.ts";

export type Resources = Plain<galaxy.v1.IResources>;
export type PortRequest = Plain<galaxy.v1.IPortRequest>;
export type PortBinding = Plain<galaxy.v1.IPortBinding>;
export type VolumeRequest = Plain<galaxy.v1.IVolumeRequest>;
export type Usage = Plain<galaxy.v1.IUsage>;
export type Cap = Plain<galaxy.v1.ICap>;
export type ContainerReport = Plain<galaxy.v1.IContainerReport>;
export type AgentInfo = Plain<galaxy.v1.IAgentInfo>;
export type HeartbeatRequest = Plain<galaxy.v1.IHeartbeatRequest>;
export type WatchCapsRequest = Plain<galaxy.v1.IWatchCapsRequest>;
export type HeartbeatReply = Plain<galaxy.v1.IHeartbeatReply>;
export type GroupSpec = Plain<galaxy.v1.IGroupSpec>;
export type ContainerInfo = Plain<galaxy.v1.IContainerInfo>;
export type Hint = Plain<galaxy.v1.IHint>;
export type HintsRequest = Plain<galaxy.v1.IGetHintsRequest>;
export type HintsReply = Plain<galaxy.v1.IGetHintsReply>;
export type AgentStatus = Plain<galaxy.v1.IAgentStatus>;
export type GroupStatus = Plain<galaxy.v1.IGroupStatus>;
export type StatusReply = Plain<galaxy.v1.IStatusReply>;
export type Job = Plain<galaxy.v1.IJob>;
export type Pod = Plain<galaxy.v1.IPod>;
export type TaskStatus = Plain<galaxy.v1.ITaskStatus>;
export type KeptContainer = Plain<galaxy.v1.IKeptContainer>;
export type ServiceEndpoint = Plain<galaxy.v1.IServiceEndpoint>;
export type JobEvent = Plain<galaxy.v1.IEvent>;
export type FetchTaskRequest = Plain<galaxy.v1.IFetchTaskRequest>;
export type FetchTaskReply = Plain<galaxy.v1.IFetchTaskReply>;
export type FetchTasksReply = Plain<galaxy.v1.IFetchTasksReply>;
export type User = Plain<galaxy.v1.IUser>;
export type Grant = Plain<galaxy.v1.IGrant>;

export type JobType = "monitor" | "service" | "batch" | "best-effort";
export type AgentState = "alive" | "dead" | "offline" | "draining";
export type ContainerState = "pending" | "allocated" | "creating" | "running" | "exited" | "failed" | "lost" | "destroying";
export type JobState = "pending" | "running" | "updating" | "update_paused" | "destroying" | "finished";
export type PodState =
  | "pending" | "deploying" | "starting" | "running" | "finished" | "failed" | "stopping" | "terminated" | "lost";
export type TaskState = "pending" | "deploying" | "starting" | "running" | "exited" | "failed" | "stopped";
export type WorkerCommand =
  | "none" | "deploy" | "start" | "stop" | "rebuild" | "reload" | "suspend" | "terminate" | "quit";

/** Importance, highest first: a pending container may preempt only strictly less important ones. */
export const IMPORTANCE: Record<JobType, number> = { monitor: 3, service: 2, batch: 1, "best-effort": 0 };
export const isOnline = (t: string): boolean => t === "monitor" || t === "service";
export const emptyResources = (): Resources => ({ millicores: 0, memory: 0, disk: 0, ssd: 0 });
