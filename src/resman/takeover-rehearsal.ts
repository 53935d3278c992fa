// ResMan's cost of a failover, in process: where a new leader's CPU goes while it rebuilds placement.
// A ResManCore (epoch 1) is filled with C containers on N agents through its real API; a second core (epoch 2) is
// built from the first one's hard state, as a standby that takes over; then, timed part by part:
//   AppMaster's SyncGroups (every request + where every container runs: encode, decode, syncGroups)
//   ──► every agent's first full report (request decode, heartbeat, reply encode)
// A standby runs it in small as its warm-up (rehearseTakeover); `bun src/bench/recovery-cost.ts` runs it in full.
import { decode, encode } from "../rpc/index.ts";
import { agentInfoOf, complete, heartbeatOf, runningReport, ZERO_USAGE, type Shape } from "../rpc/complete.ts";
import type { Cap, GroupSpec, HeartbeatReply, HeartbeatRequest, Hint } from "../rpc/types.ts";
import { ResManCore } from "./core.ts";
import { DEFAULT_CONFIG } from "./state.ts";
import { hintsReply } from "./views.ts";

const AGENT: Shape = { millicores: 32_000, memory: 128 * 1024 ** 3, disk: 1024 ** 4 };
const CONTAINER: Shape = { millicores: 250, memory: 1024 ** 3, disk: 0 };
const GROUP_SIZE = 1000;

export interface RecoveryCost {
  containers: number;
  agents: number;
  syncBytes: number;
  syncDecodeMs: number;
  syncApplyMs: number;
  reportBytes: number;
  reportDecodeMs: number;
  reportHandleMs: number;
  replyEncodeMs: number;
  replyBytes: number;
}

/** `count` groups of service containers of one shape, `size` each but the last (the bench's c1m workload). */
function serviceGroups(containers: number): GroupSpec[] {
  const count = Math.ceil(containers / GROUP_SIZE);
  const width = String(count).length;
  return Array.from({ length: count }, (_, k) => {
    const id = `c1m-${String(k).padStart(width, "0")}`;
    return complete<GroupSpec>("GroupSpec", {
      id, user: "", jobType: "service", replica: Math.min(GROUP_SIZE, containers - k * GROUP_SIZE), pools: ["default"],
      resources: { millicores: CONTAINER.millicores, memory: CONTAINER.memory, disk: CONTAINER.disk, ssd: 0 },
      maxPerHost: 0, spread: false, version: 1, name: id, antiAffinity: [], score: "",
    });
  });
}

const endpointOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:1646`;

export function measureRecoveryCost(containers: number, agents: number, withHints = true): RecoveryCost {
  const cfg = { ...DEFAULT_CONFIG, safeModeFraction: 0, recoveryMs: 0, agentTimeoutMs: 3_600_000 };
  const old = new ResManCore(cfg, 1, { agents: [], groups: [], pools: ["default"] }, 0);
  const infos = Array.from({ length: agents }, (_, i) => agentInfoOf(endpointOf(i), AGENT));
  const caps: Cap[][] = infos.map(() => []);
  const versions = infos.map(() => 0);
  for (let i = 0; i < agents; i++) old.heartbeat(heartbeatOf(infos[i]!, 1, 0, 0, []), 1);
  const groups = serviceGroups(containers);
  for (const g of groups) old.createGroup(g, 2);
  old.awaitingAm = false;
  old.tick(3);
  for (let i = 0; i < agents; i++) {
    const { reply } = old.heartbeat(heartbeatOf(infos[i]!, 1, 0, 0, []), 4);
    caps[i] = reply.caps;
    versions[i] = reply.capsVersion;
  }
  const hints: Hint[] = withHints
    ? hintsReply(old, { amEpoch: 1, all: true, groups: [], since: 0, sinceEpoch: 0 } as never).hints.map((h) => ({
        groupId: h.groupId, containers: h.containers.map((c) => ({ id: c.id, groupId: c.groupId, agent: c.agent, ports: c.ports })),
      })) as Hint[]
    : [];
  const hard = { agents: [...old.agents.values()].map((a) => ({ endpoint: a.endpoint, info: a.info, pool: a.pool, labels: a.labels, admin: a.admin })), groups: [...old.groups.values()], pools: ["default"] };
  const core = new ResManCore(cfg, 2, hard as never, 10);
  const syncBytes = encode("SyncGroupsRequest", { amEpoch: 1, groups, hints });
  let t = performance.now();
  const sync = decode<{ groups: typeof groups; hints: Hint[] }>("SyncGroupsRequest", syncBytes);
  const syncDecodeMs = performance.now() - t;
  t = performance.now();
  core.syncGroups(sync.groups, 11, sync.hints);
  const syncApplyMs = performance.now() - t;

  const bodies = infos.map((info, i) => encode("HeartbeatRequest", {
    agent: info, epochSeen: 1, capsEpoch: 1, capsVersion: versions[i]!, full: true, usage: ZERO_USAGE,
    containers: caps[i]!.map((c) => runningReport(c, c.grantedAt)),
  }));
  let reportDecodeMs = 0;
  let reportHandleMs = 0;
  let replyEncodeMs = 0;
  let replyBytes = 0;
  for (const body of bodies) {
    t = performance.now();
    const req = decode<HeartbeatRequest>("HeartbeatRequest", body);
    const t1 = performance.now();
    const { reply } = core.heartbeat(req, 12);
    const t2 = performance.now();
    replyBytes += encode("HeartbeatReply", reply as HeartbeatReply).length;
    replyEncodeMs += performance.now() - t2;
    reportHandleMs += t2 - t1;
    reportDecodeMs += t1 - t;
  }
  return {
    containers: core.placement.containers.size, agents, syncBytes: syncBytes.length, syncDecodeMs, syncApplyMs,
    reportBytes: bodies.reduce((s, b) => s + b.length, 0), reportDecodeMs, reportHandleMs, replyEncodeMs, replyBytes,
  };
}

/**
 * A slice of a standby ResMan's warm-up (WarmUp in src/cluster/master.ts runs ten when it starts waiting, two every
 * 20 s): the same takeover in small, 200 agents x 10 containers, so the JIT has compiled the decoders, the heartbeat path and the reply
 * encoders before 10,000 agents report at once. Measured in process: a cold takeover of 100,000 containers spends
 * ~1.3 s in these paths, one after 2,000 rehearsed agents ~0.7 s.
 */
export function rehearseTakeover(): void {
  measureRecoveryCost(2_000, 200);
}
