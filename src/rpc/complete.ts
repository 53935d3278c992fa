// Complete wire messages built from the fields a caller cares about and completed through the codec (every other
// field at its proto3 default), so they stay valid as the schema grows: the AgentInfo and HeartbeatRequest of a
// simulated agent. Used by the benchmarks and by a standby ResMan's takeover rehearsal.
import { decode, encode, type DeepPartial, type MessageName } from "./codec.ts";
import type { AgentInfo, Cap, ContainerReport, HeartbeatRequest, Usage } from "./types.ts";

export const ZERO_USAGE: Usage = Object.freeze({ millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 });

/** An agent's or a container's size in the three dimensions the benchmarks vary. */
export interface Shape {
  millicores: number;
  memory: number;
  disk: number;
}

/** The message with every field present: the given ones, the rest at their defaults. */
export function complete<T>(type: MessageName, partial: object): T {
  return decode<T>(type, encode(type, partial));
}

export function agentInfoOf(endpoint: string, shape: Shape, pool = "default"): AgentInfo {
  return complete<AgentInfo>("AgentInfo", {
    endpoint, pool, total: { millicores: shape.millicores, memory: shape.memory, disk: shape.disk, ssd: 0 },
    portMin: 20000, portMax: 29999, isolation: "none", hostname: endpoint.split(":")[0]!, version: "bench",
  });
}

export function heartbeatOf(info: AgentInfo, epochSeen: number, capsEpoch: number, capsVersion: number, containers: ContainerReport[]): HeartbeatRequest {
  return complete<HeartbeatRequest>("HeartbeatRequest", { agent: info, epochSeen, capsEpoch, capsVersion, full: true, containers });
}

/** The full report of a cap the simulated agent runs (what a real agent sends from its checkpoint). */
export function runningReport(cap: Cap, startedAt: number): DeepPartial<ContainerReport> {
  return {
    containerId: cap.containerId, groupId: cap.groupId, state: "running", pid: 1, startedAt, message: "",
    usage: ZERO_USAGE, cap, exitCode: 0,
  };
}
