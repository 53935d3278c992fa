// `galaxy bench failover`: two ResMan processes on one cluster dir and data dir (or, with --etcd, on etcd with a data
// dir each), N simulated agents x C containers running; kill -9 the leader and time the standby.
//
//   fill (C per agent: the container is 1/C of an agent) ──► kill -9 leader ──► leader file: new epoch, `since` = lock
//   ──► poll Status through the leader file: first answer, recovery over, full knowledge (every container
//   reported: every agent reported, none pending, all known) ──► create a new group: placed again ──► settle ──► caps revoked (must be 0)
import type { Hint } from "../rpc/types.ts";
import { cpuSecondsOf, STATUS_POLL_MS, waitUntil } from "./procs.ts";
import { SimCluster, type SimClusterOptions } from "./sim-cluster.ts";
import { groupSpecOf } from "./protocol.ts";
import { round, rssOf, wallMs } from "./stats.ts";
import { c1mGroups, type GroupDef } from "./workload.ts";

export interface FailoverBenchOptions extends SimClusterOptions {
  perAgent: number;
  groupSize: number;
  newGroupReplicas: number;
  /** Wait this long after the new group is placed before counting revoked caps. */
  settleSec: number;
}

export interface FailoverFigures {
  /** Where the ResMans keep hard state and elect: "lmdb" (one cluster dir and data dir) or "etcd". */
  backend: "lmdb" | "etcd";
  agents: number;
  containers: number;
  /** Fewest and most containers on one agent before the kill. */
  perAgent: [number, number];
  recoveryWindow: string;
  epochBefore: number;
  epochAfter: number;
  /** From the kill to the standby holding the lock (its leader file's `since`). */
  killToLockMs: number;
  /** The rest are measured from the moment the standby took the lock. */
  lockToFirstAnswerMs: number;
  lockToFullKnowledgeMs: number;
  lockToRecoveryEndMs: number;
  lockToPlacedAgainMs: number;
  /** AppMaster's SyncGroups (every request and where each container runs) answered. */
  lockToSyncedMs: number;
  newGroupPlacedMs: number;
  revoked: number;
  revokedIds: string[];
  agentsOnNewEpoch: boolean;
  standbyRssMiB: number;
  /** The agents' heartbeats from the kill to full knowledge: failed ones, and the answered ones' round trips. */
  recoveryErrors: number;
  recoveryRttP50Ms: number;
  recoveryRttP99Ms: number;
  /** Cpu use (% of one core) of the new leader and of the agents' process from the kill to full knowledge. */
  recoveryResmanCpuPct: number;
  recoveryAgentsCpuPct: number;
  /** Over-committed agents at the end, as the new leader lists them (must be none). */
  overcommitted: string[];
  /** [ms after the lock, containers still pending, agents reported in full] every ~250 ms until full knowledge. */
  timeline: [number, number, number][];
}

export async function runFailoverBench(o: FailoverBenchOptions): Promise<FailoverFigures> {
  const sim = await SimCluster.start({ ...o, standby: true });
  try {
    const groups = fillGroups(o);
    const total = await fill(sim, o, groups);
    const before = await sim.leader();
    // What AppMaster's sync loop holds when ResMan fails: the last hints (where every container runs).
    // AppMaster keeps and sends back only where each container runs (see lastHints).
    const hints = (await sim.client.call("ResMan/GetHints", { amEpoch: 1, all: true }, { timeoutMs: 120_000 })).hints.map((h) => ({
      groupId: h.groupId, containers: h.containers.map((c) => ({ id: c.id, groupId: c.groupId, agent: c.agent, ports: c.ports })),
    })) as Hint[];
    const base = await sim.fleetStats(true);
    const cpu0 = { b: cpuSecondsOf(sim.standby!.pid), fleet: sim.fleetCpuSeconds() };
    const killedAt = wallMs();
    sim.resman.kill("SIGKILL");
    o.log(`killed the leader (pid ${before.pid}, epoch ${before.epoch})`);
    const after = await waitUntil("a new ResMan leader", async () => {
      const l = await sim.leader();
      return l.epoch > before.epoch ? l : null;
    }, 30_000, 5);
    const lockAt = after.since;
    const t = await watchRecovery(sim, total, lockAt, groups, hints);
    const during = await sim.fleetStats(true);
    const busy = (cpu: number) => Math.round((cpu / Math.max(1e-3, (t.fullKnowledge - killedAt) / 1000)) * 100);
    const cpu = { b: busy(cpuSecondsOf(sim.standby!.pid) - cpu0.b), fleet: busy(sim.fleetCpuSeconds() - cpu0.fleet) };
    // Half of every agent is free (see fillGroups): room for agents x C more containers.
    const g: GroupDef = { ...groups[0]!, id: "after-failover", replica: Math.min(o.newGroupReplicas, total), spread: false };
    const created = wallMs();
    await sim.createGroup(g);
    const placedAt = await waitUntil("the new group placed", async () => {
      const st = await sim.status();
      return st.pending === 0 && st.containers >= total + g.replica ? wallMs() : 0;
    }, 60_000, STATUS_POLL_MS);
    o.log(`new group placed ${Math.round(placedAt - created)} ms after its creation; settling ${o.settleSec} s`);
    await Bun.sleep(o.settleSec * 1000);
    const end = await sim.fleetStats(false);
    const overcommitted = await sim.overcommitted();
    return {
      backend: o.etcd ? "etcd" : "lmdb", agents: o.agents, containers: total, perAgent: base.capsPerAgent, recoveryWindow: o.recoveryWindow, epochBefore: before.epoch, epochAfter: after.epoch,
      killToLockMs: round(lockAt - killedAt, 1), lockToFirstAnswerMs: round(t.firstAnswer - lockAt, 1),
      lockToFullKnowledgeMs: round(t.fullKnowledge - lockAt, 1), lockToRecoveryEndMs: round(t.recoveryEnd - lockAt, 1),
      lockToPlacedAgainMs: round(placedAt - lockAt, 1), lockToSyncedMs: round(t.syncedAt - lockAt, 1), newGroupPlacedMs: round(placedAt - created, 1),
      revoked: end.revoked - base.revoked, revokedIds: end.revokedIds, agentsOnNewEpoch: end.epochs.length === 1 && end.epochs[0] === after.epoch,
      standbyRssMiB: Math.round(rssOf(sim.standby!.pid) / 2 ** 20), timeline: t.timeline, overcommitted,
      recoveryErrors: during.errors, recoveryRttP50Ms: round(during.rttMs.p50, 1), recoveryRttP99Ms: round(during.rttMs.p99, 1),
      recoveryResmanCpuPct: cpu.b, recoveryAgentsCpuPct: cpu.fleet,
    };
  } finally {
    await sim.stop();
  }
}

/** Spread groups of containers of 1/(2C) of an agent: C land on every agent, and half of each agent stays free. */
function fillGroups(o: FailoverBenchOptions): GroupDef[] {
  const container = {
    millicores: Math.floor(o.shape.millicores / (2 * o.perAgent)), memory: Math.floor(o.shape.memory / (2 * o.perAgent)),
    disk: Math.floor(o.shape.disk / (2 * o.perAgent)),
  };
  const total = o.agents * o.perAgent;
  const groups = c1mGroups(Math.ceil(total / o.groupSize), o.groupSize, container).map((g) => ({ ...g, id: `run-${g.id}`, spread: true }));
  const last = groups[groups.length - 1]!;
  last.replica = total - o.groupSize * (groups.length - 1);
  return groups;
}

async function fill(sim: SimCluster, o: FailoverBenchOptions, groups: GroupDef[]): Promise<number> {
  const total = groups.reduce((s, g) => s + g.replica, 0);
  const t0 = Date.now();
  await sim.createGroups(groups);
  await sim.waitPlacedAndHeld(total, 30 * 60_000);
  o.log(`${total} containers running on ${o.agents} agents after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await Bun.sleep(2000); // every agent reports them running at least once more
  return total;
}

/**
 * Plays AppMaster on the new epoch (SyncGroups: its full request set and its last hints, at the first answer: the
 * hints hold a container on an agent that has not reported yet, as AppMaster's do), and polls the new
 * leader's Status until it knows every container (none pending) and its recovery is over.
 */
async function watchRecovery(sim: SimCluster, total: number, lockAt: number, groups: GroupDef[], hints: Hint[]): Promise<{ firstAnswer: number; fullKnowledge: number; recoveryEnd: number; syncedAt: number; timeline: [number, number, number][] }> {
  const timeline: [number, number, number][] = [];
  let firstAnswer = 0;
  let fullKnowledge = 0;
  let recoveryEnd = 0;
  let sync: Promise<number> | null = null; // AppMaster's SyncGroups runs beside the polls, as it would
  await waitUntil("the standby to know every container", async () => {
    const st = await sim.status();
    const now = wallMs();
    if (!firstAnswer) firstAnswer = now;
    sync ??= sim.client.call("ResMan/SyncGroups", { amEpoch: 1, groups: groups.map((g) => groupSpecOf(g)), hints }, { timeoutMs: 60_000 }).then(() => wallMs());
    if (timeline.length === 0 || now - lockAt - timeline.at(-1)![0] >= 250) timeline.push([Math.round(now - lockAt), st.pending, st.agentsReported]);
    // Every agent has reported in full (a container AppMaster's hints hold on a silent agent is not known yet).
    if (!fullKnowledge && st.pending === 0 && st.containers >= total && st.agentsReported >= st.agentsKnown) fullKnowledge = now;
    if (!recoveryEnd && !st.recovering) recoveryEnd = now;
    return fullKnowledge && recoveryEnd;
  }, 120_000, STATUS_POLL_MS);
  const syncedAt = await sync!;
  return { firstAnswer, fullKnowledge, recoveryEnd, syncedAt, timeline };
}
