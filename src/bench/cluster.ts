// `galaxy bench cluster`: ResMan as a real process, N simulated agents heartbeating over HTTP from child processes.
//
//   start ResMan + fleets ──► all agents alive ──► steady window: heartbeats/s, client round trip, server-side p99
//   ──► submit one group (CreateGroup with the secret): ResMan placed / cap at the agent / confirmed running
//   ──► optional fill to --containers (RSS, and a steady window with full reports of every container)
import type { ResManProc } from "./procs.ts";
import { bucketPercentileMs, cpuSecondsOf, histogramBuckets, latencyBuckets, measureHints, scrapeMetrics, STATUS_POLL_MS, waitUntil, type HintsCost } from "./procs.ts";
import { SimCluster, type SimClusterOptions } from "./sim-cluster.ts";
import { peakRssOf, round, rssOf, wallMs } from "./stats.ts";
import { c1mGroups, type GroupDef, type Shape } from "./workload.ts";

export interface ClusterBenchOptions extends SimClusterOptions {
  replicas: number;
  container: Shape;
  warmupSec: number;
  /** Before the first window (default warmupSec): past the start's transients, see the command's --settle. */
  settleSec?: number;
  measureSec: number;
  /** Extra windows with the agents heartbeating this often (ms): load above the configured interval. */
  loadIntervalsMs: number[];
  /** Total containers to fill the cluster with for the RSS phase (0: skip). */
  fill: number;
  fillGroupSize: number;
  /** Heartbeat interval of the agents once filled (0: ResMan's): full reports of 100 containers cost ResMan more. */
  fillIntervalMs: number;
}

export interface WindowFigures {
  name: string;
  seconds: number;
  offeredPerSec: number;
  heartbeatsPerSec: number;
  /** Replies that carried a whole cap set. */
  capRepliesPerSec: number;
  errors: number;
  /** Connections the simulated agents opened per second (-1: through fetch's pool, not counted). */
  connectsPerSec: number;
  rttP50Ms: number;
  rttP99Ms: number;
  /** The agents' process's own event-loop delay (p99): how much of the round trip is the load generator's. */
  fleetLagP99Ms: number;
  /** Upper bound of the /metrics histogram bucket holding the percentile (time inside ResMan's handler). */
  serverP50Ms: number;
  serverP99Ms: number;
  /** ResMan's event-loop delay (galaxy_event_loop_lag_seconds): bucket bounds of its p99 and of its worst sample. */
  resmanLagP99Ms: number;
  resmanLagMaxMs: number;
  resmanCpuPct: number;
  fleetCpuPct: number;
  resmanRssMiB: number;
  /** VmHWM: the most ResMan's RSS has ever been. */
  resmanPeakRssMiB: number;
  /** Agents ResMan counts dead at the end of the window (silent past --agent-timeout: a sign of overload). */
  agentsDead: number;
}

export interface SubmitFigures {
  replicas: number;
  /** Until ResMan's Status showed nothing pending. */
  resmanPlacedMs: number;
  capP50Ms: number;
  capP99Ms: number;
  capMaxMs: number;
  confirmedP50Ms: number;
  confirmedP99Ms: number;
  confirmedMaxMs: number;
  confirmedPerSec: number;
  /** Caps that reached their agent with a WatchCaps answer rather than a heartbeat reply. */
  viaWatch: number;
}

export interface ClusterFigures {
  agents: number;
  heartbeatIntervalMs: number;
  heartbeatOnly: boolean;
  /** The simulated agents sent through fetch's process-wide pool (--shared-pool). */
  sharedPool: boolean;
  idle: WindowFigures;
  load: WindowFigures[];
  submit: SubmitFigures;
  filled: { containers: number; fillSec: number; window: WindowFigures; hints: HintsCost | null } | null;
  /** Over-committed agents at the end, as ResMan lists them (must be none). */
  overcommitted: string[];
}

export async function runClusterBench(o: ClusterBenchOptions): Promise<ClusterFigures> {
  const sim = await SimCluster.start({ ...o, standby: false });
  try {
    const settle = o.settleSec ?? o.warmupSec;
    if (settle > o.warmupSec) o.log(`settling ${settle} s before the first window (--settle: past the start's first full garbage collection)`);
    await Bun.sleep(settle * 1000);
    const idle = await measureWindow(sim, sim.resman, o.measureSec, "idle", o.heartbeatIntervalMs);
    o.log(`idle window: ${Math.round(idle.heartbeatsPerSec)} heartbeats/s, rtt p99 ${idle.rttP99Ms} ms`);
    const load: WindowFigures[] = [];
    for (const ms of o.loadIntervalsMs) {
      await Promise.all(sim.fleets.map((f) => f.setIntervalMs(ms)));
      await Bun.sleep(o.warmupSec * 1000);
      load.push(await measureWindow(sim, sim.resman, o.measureSec, `every ${ms} ms`, ms));
      o.log(`${load.at(-1)!.name}: ${load.at(-1)!.heartbeatsPerSec} heartbeats/s, rtt p99 ${load.at(-1)!.rttP99Ms} ms`);
    }
    await Promise.all(sim.fleets.map((f) => f.setIntervalMs(0)));
    if (load.length > 0) await Bun.sleep(o.warmupSec * 1000);
    const submit = await measureSubmit(sim, { id: "bench-submit", replica: o.replicas, resources: res(o.container), maxPerHost: 0, jobType: "service" });
    o.log(`submit: confirmed p99 ${submit.confirmedP99Ms} ms`);
    let filled: ClusterFigures["filled"] = null;
    if (o.fill > 0) {
      const t0 = Date.now();
      const groups = c1mGroups(Math.ceil(o.fill / o.fillGroupSize), o.fillGroupSize, o.container).map((g) => ({ ...g, id: `fill-${g.id}` }));
      await sim.createGroups(groups);
      o.log(`created ${groups.length} groups of ${o.fillGroupSize}; waiting for agents to hold them`);
      const total = groups.length * o.fillGroupSize + o.replicas;
      await sim.waitPlacedAndHeld(total, 30 * 60_000);
      const fillSec = (Date.now() - t0) / 1000;
      const every = o.fillIntervalMs || o.heartbeatIntervalMs;
      if (o.fillIntervalMs) await Promise.all(sim.fleets.map((f) => f.setIntervalMs(o.fillIntervalMs)));
      await Bun.sleep(Math.max(o.warmupSec * 1000, 2 * every));
      const name = `${total} containers, every ${every} ms`;
      const window = await measureWindow(sim, sim.resman, Math.max(o.measureSec, (2 * every) / 1000), name, every);
      const hints = await measureHints(sim.dir, sim.resman.addr).catch((e) => (o.log(`GetHints(all) failed: ${(e as Error).message}`), null));
      filled = { containers: total, fillSec: round(fillSec, 1), window, hints };
      o.log(`filled ${total} containers in ${fillSec.toFixed(1)} s; ResMan RSS ${filled.window.resmanRssMiB} MiB`);
    }
    const overcommitted = await sim.overcommitted();
    return { agents: o.agents, heartbeatIntervalMs: o.heartbeatIntervalMs, heartbeatOnly: o.heartbeatOnly, sharedPool: o.sharedPool ?? false, idle, load, submit, filled, overcommitted };
  } finally {
    await sim.stop();
  }
}

/** One measurement window: fleet counters, ResMan's histogram and both processes' cpu, all deltas. */
export async function measureWindow(sim: SimCluster, resman: ResManProc, seconds: number, name: string, intervalMs: number): Promise<WindowFigures> {
  const m0 = await scrapeMetrics(resman.addr);
  const before = latencyBuckets(m0, "ResMan/Heartbeat");
  const lag0 = histogramBuckets(m0, "galaxy_event_loop_lag_seconds", 'role="resman"');
  await sim.fleetStats(true);
  const cpu0 = { rm: cpuSecondsOf(resman.pid), fleet: sim.fleetCpuSeconds(), t: wallMs() };
  await Bun.sleep(seconds * 1000);
  const fs = await sim.fleetStats(true);
  const cpu1 = { rm: cpuSecondsOf(resman.pid), fleet: sim.fleetCpuSeconds(), t: wallMs() };
  const m1 = await scrapeMetrics(resman.addr);
  const after = latencyBuckets(m1, "ResMan/Heartbeat");
  const lag1 = histogramBuckets(m1, "galaxy_event_loop_lag_seconds", 'role="resman"');
  const st = await sim.status();
  const wall = (cpu1.t - cpu0.t) / 1000;
  return {
    name, seconds: round(fs.windowSec, 1), offeredPerSec: Math.round((sim.o.agents * 1000) / intervalMs),
    heartbeatsPerSec: Math.round(fs.repliesPerSec), capRepliesPerSec: Math.round(fs.capReplies / Math.max(fs.windowSec, 1e-3)), errors: fs.errors, connectsPerSec: fs.connectsPerSec < 0 ? -1 : Math.round(fs.connectsPerSec), rttP50Ms: round(fs.rttMs.p50), rttP99Ms: round(fs.rttMs.p99), fleetLagP99Ms: round(fs.lagMs.p99),
    serverP50Ms: bucketPercentileMs(before, after, 50), serverP99Ms: bucketPercentileMs(before, after, 99),
    resmanLagP99Ms: bucketPercentileMs(lag0, lag1, 99), resmanLagMaxMs: bucketPercentileMs(lag0, lag1, 100),
    resmanCpuPct: Math.round(((cpu1.rm - cpu0.rm) / wall) * 100), fleetCpuPct: Math.round(((cpu1.fleet - cpu0.fleet) / wall) * 100),
    resmanRssMiB: Math.round(rssOf(resman.pid) / 2 ** 20), resmanPeakRssMiB: Math.round(peakRssOf(resman.pid) / 2 ** 20),
    agentsDead: st.agentsDead,
  };
}

/** Creates one group and times it: ResMan placed everything, caps reached agents, agents confirmed them running. */
export async function measureSubmit(sim: SimCluster, g: GroupDef, timeoutMs = 120_000): Promise<SubmitFigures> {
  await sim.track([g.id]);
  const t0 = wallMs();
  await sim.createGroup(g);
  const placedAt = await waitUntil(`${g.id} placed`, async () => {
    const st = await sim.status();
    return st.pending === 0 ? wallMs() : 0;
  }, timeoutMs, STATUS_POLL_MS);
  const times = await waitUntil(`${g.id} confirmed running`, async () => {
    const all = await Promise.all(sim.fleets.map((f) => f.tracked(g.id, t0)));
    const confirmed = all.reduce((s, t) => s + t.confirmed, 0);
    return confirmed >= g.replica ? all : null;
  }, timeoutMs, 25);
  const worst = (pick: (t: (typeof times)[number]) => number) => Math.max(...times.map(pick));
  const confirmedMax = worst((t) => t.confirmedMs.max);
  return {
    replicas: g.replica, resmanPlacedMs: round(placedAt - t0, 1),
    capP50Ms: round(worst((t) => t.placedMs.p50), 1), capP99Ms: round(worst((t) => t.placedMs.p99), 1), capMaxMs: round(worst((t) => t.placedMs.max), 1),
    confirmedP50Ms: round(worst((t) => t.confirmedMs.p50), 1), confirmedP99Ms: round(worst((t) => t.confirmedMs.p99), 1),
    confirmedMaxMs: round(confirmedMax, 1), confirmedPerSec: Math.round(g.replica / Math.max(confirmedMax / 1000, 1e-3)),
    viaWatch: times.reduce((s, t) => s + t.viaWatch, 0),
  };
}

const res = (s: Shape) => ({ millicores: s.millicores, memory: s.memory, disk: s.disk, ssd: 0 });
