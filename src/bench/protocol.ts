// Complete wire messages for the benchmarks: the GroupSpec AppMaster would send; the AgentInfo and HeartbeatRequest
// a simulated agent sends come from src/rpc/complete.ts (shared with ResMan's takeover rehearsal).
import { complete } from "../rpc/complete.ts";
import type { GroupSpec } from "../rpc/types.ts";
import type { GroupDef } from "./workload.ts";

export { agentInfoOf, complete, heartbeatOf, runningReport, ZERO_USAGE } from "../rpc/complete.ts";

export function groupSpecOf(g: GroupDef, version = 1): GroupSpec {
  return complete<GroupSpec>("GroupSpec", {
    id: g.id, user: "", jobType: g.jobType, replica: g.replica, resources: { ...g.resources }, pools: ["default"],
    maxPerHost: g.maxPerHost, spread: g.spread === true, version, name: g.id, antiAffinity: g.antiAffinity ?? [],
    score: g.score ?? "",
  });
}
