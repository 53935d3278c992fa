// Why an agent cannot take a container: the scheduler's feasibility reasons. ResMan counts them per agent
// ("12 agents: no memory, 3: max_per_host") for `galaxy plan` and `galaxy containers`, and sends the counts to
// AppMaster, which reads them (a pod whose every agent is blacklisted or not its own is blocked). The words are part
// of the wire and of the golden scheduler scripts: change them only with both.
import { AGENT_STATES, type AgentState } from "./domain.ts";

export const REASON = {
  /** Not in one of the group's pools. */
  pool: "pool",
  /** Lacks one of the group's labels. */
  labels: "labels",
  /** On the job's blacklist (its failure policy). */
  blacklist: "blacklist",
  maxPerHost: "max_per_host",
  antiAffinity: "anti-affinity",
  /** Already runs its most batch containers. */
  batchLimit: "batch limit",
  noCpu: "no cpu",
  noMemory: "no memory",
  noDisk: "no disk",
  noSsd: "no ssd",
  ports: "ports",
} as const;

/** "agent dead", "agent offline", "agent draining": the agent takes nothing now. */
export const agentStateReason = (state: Exclude<AgentState, "alive">): string => `agent ${state}`;
export const AGENT_STATE_REASONS: readonly string[] = AGENT_STATES.filter((s) => s !== "alive").map(agentStateReason);

/** No free device of that medium for an exclusive volume. */
export const exclusiveDeviceReason = (medium: string): string => `no exclusive ${medium} device`;

/** Reasons that say the agent is not one the group may use at all (as opposed to one that is full). */
export const NOT_ITS_AGENT: ReadonlySet<string> = new Set([REASON.pool, REASON.labels, ...AGENT_STATE_REASONS]);
