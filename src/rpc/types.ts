// Domain types: the plain (decoded) form of the wire messages, as every role sees them.
// Protobuf stays at the edge: src/rpc converts bytes <-> these objects; nothing else touches generated classes.
import type { galaxy } from "./gen/galaxy.js";
import type { Plain } from "./gen/methods.ts";
import type * as domain from "../core/domain.ts";

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

export {
  AGENT_STATES, CONTAINER_STATES, IMPORTANCE, JOB_STATES, JOB_TYPES, POD_STATES, TASK_STATES, WORKER_COMMANDS,
  emptyResources, isJobType, isOnline, isOneOf, jobTypeOf,
} from "../core/domain.ts";
export type {
  AgentState, ContainerState, JobState, JobType, PodState, TaskState, WorkerCommand,
} from "../core/domain.ts";

// The generated messages must still carry the domain shapes (a proto change that breaks one fails the typecheck).
type Fits<Wire, Domain> = [Wire] extends [Domain] ? true : false;
const fits = <T extends true>(): T => true as T;
void fits<Fits<Resources, domain.Resources>>();
void fits<Fits<domain.Resources, Resources>>();
void fits<Fits<PortRequest, domain.PortRequest>>();
void fits<Fits<PortBinding, domain.PortBinding>>();
void fits<Fits<VolumeRequest, domain.VolumeRequest>>();
