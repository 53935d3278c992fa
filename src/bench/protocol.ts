// Complete wire messages for the benchmarks: the AgentInfo and HeartbeatRequest a simulated agent sends, the
// GroupSpec AppMaster would send. Built from the fields the benchmark cares about and completed through the codec
// (every other field at its proto3 default), so they stay valid as the schema grows.
import { decode, encode, type DeepPartial, type MessageName } from "../rpc/index.ts";
import type { AgentInfo, Cap, ContainerReport, GroupSpec, HeartbeatRequest, Usage } from "../rpc/types.ts";
import type { GroupDef, Shape } from "./workload.ts";

export const ZERO_USAGE: Usage = Object.freeze({ millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 });

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

export function groupSpecOf(g: GroupDef, version = 1): GroupSpec {
  return complete<GroupSpec>("GroupSpec", {
    id: g.id, user: "", jobType: g.jobType, replica: g.replica, resources: { ...g.resources }, pools: ["default"],
    maxPerHost: g.maxPerHost, spread: g.spread === true, version, name: g.id, antiAffinity: g.antiAffinity ?? [],
    score: g.score ?? "",
  });
}
