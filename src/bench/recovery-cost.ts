// ResMan's cost of a failover, in process: where a new leader's CPU goes while it rebuilds placement.
// A ResManCore (epoch 1) is filled with C containers on N agents through its real API; a second core (epoch 2) is
// built from the first one's hard state, as a standby that takes over; then, timed part by part:
//   AppMaster's SyncGroups (every request + where every container runs: encode, decode, syncGroups)
//   ──► every agent's first full report (request decode, heartbeat, reply encode)
//
//   node_modules/.bin/bun src/bench/recovery-cost.ts [containers=100000] [agents=10000] [hints=1]
import { decode, encode } from "../rpc/index.ts";
import type { Cap, HeartbeatReply, HeartbeatRequest, Hint } from "../rpc/types.ts";
import { ResManCore } from "../resman/core.ts";
import { DEFAULT_CONFIG } from "../resman/state.ts";
import { hintsReply } from "../resman/views.ts";
import { agentInfoOf, groupSpecOf, heartbeatOf, runningReport, ZERO_USAGE } from "./protocol.ts";
import { c1mGroups, syntheticFleet, type Shape } from "./workload.ts";

const AGENT: Shape = { millicores: 32_000, memory: 128 * 1024 ** 3, disk: 1024 ** 4 };
const CONTAINER: Shape = { millicores: 250, memory: 1024 ** 3, disk: 0 };

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

export function measureRecoveryCost(containers: number, agents: number, withHints = true): RecoveryCost {
  const cfg = { ...DEFAULT_CONFIG, safeModeFraction: 0, recoveryMs: 0, agentTimeoutMs: 3_600_000 };
  const old = new ResManCore(cfg, 1, { agents: [], groups: [], pools: ["default"] }, 0);
  const infos = syntheticFleet(agents, [AGENT]).map((a) => agentInfoOf(a.endpoint, AGENT));
  const caps: Cap[][] = infos.map(() => []);
  const versions = infos.map(() => 0);
  for (let i = 0; i < agents; i++) old.heartbeat(heartbeatOf(infos[i]!, 1, 0, 0, []), 1);
  const size = 1000;
  const groups = c1mGroups(Math.ceil(containers / size), size, CONTAINER).map((g, k) => groupSpecOf({ ...g, replica: Math.min(size, containers - k * size) }));
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
 * A slice of a standby ResMan's warm-up (runMaster's WarmUp runs ten when it starts waiting, two every 20 s): the same
 * takeover in small, 200 agents x 10 containers, so the JIT has compiled the decoders, the heartbeat path and the reply
 * encoders before 10,000 agents report at once. Measured in process: a cold takeover of 100,000 containers spends
 * ~1.3 s in these paths, one after 2,000 rehearsed agents ~0.7 s.
 */
export function rehearseTakeover(): void {
  measureRecoveryCost(2_000, 200);
}

if (import.meta.main) {
  const [containers = 100_000, agents = 10_000, hints = 1] = process.argv.slice(2).map(Number);
  for (let run = 0; run < 3; run++) {
    const f = measureRecoveryCost(containers, agents, hints === 1);
    const ms = (x: number) => `${Math.round(x)} ms`;
    console.log(`${f.containers} containers on ${f.agents} agents: SyncGroups ${(f.syncBytes / 2 ** 20).toFixed(1)} MiB decode ${ms(f.syncDecodeMs)} apply ${ms(f.syncApplyMs)}; ` +
      `full reports ${(f.reportBytes / 2 ** 20).toFixed(1)} MiB decode ${ms(f.reportDecodeMs)} handle ${ms(f.reportHandleMs)}; replies ${(f.replyBytes / 2 ** 20).toFixed(1)} MiB encode ${ms(f.replyEncodeMs)}`);
  }
}
