// AppMaster's cost per sync round, in process: AppMasterCore with G jobs x P pods, every pod hinted running;
// then applyHints (the whole merged set: after a full reply), applyHintChanges (a round's news: none, or 1% of the
// groups), tick (every job planned) and podsOf.
//
//   node_modules/.bin/bun src/bench/appmaster-cost.ts [jobs=100] [pods per job=1000]
import { AppMasterCore, DEFAULT_CORE_OPTIONS } from "../appmaster/core.ts";
import { spec } from "../appmaster/fixtures.ts";
import { placementChanges } from "../appmaster/placements.ts";
import type { Hint } from "../rpc/types.ts";

const T0 = Date.UTC(2026, 10, 21);

export function measureAppMasterRound(jobs: number, perJob: number, log: (line: string) => void): void {
  const core = new AppMasterCore(3, [], T0, { ...DEFAULT_CORE_OPTIONS, warmupMs: 0 });
  const hints: Hint[] = [];
  for (let g = 0; g < jobs; g++) {
    const { job } = core.submit(spec({ replica: perJob }), "alice", T0, g.toString(16).padStart(4, "0"));
    hints.push({
      groupId: job.id,
      containers: Array.from({ length: perJob }, (_, i) => ({
        id: `${job.id}.${i}`, groupId: job.id, agent: `a${i % 97}:1`, state: "running", ports: [{ name: "http", port: 20000 + i }], volumes: [],
        lastError: "", pid: 1, startedAt: 1, usage: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 }, exitCode: 0, message: "",
        resources: { millicores: 0, memory: 0, disk: 0, ssd: 0 }, jobType: "service", preemptedBy: "", reasons: {}, move: "", moveBlocked: "", placedAt: 0,
      })),
    });
  }
  const ms = (f: () => void) => {
    const t = performance.now();
    f();
    return (performance.now() - t).toFixed(1);
  };
  core.applyHints(hints, T0 + 1);
  for (let r = 0; r < 3; r++) log(`applyHints ${jobs} x ${perJob}: ${ms(() => core.applyHints(hints, T0 + 2 + r))} ms`);
  const all = new Map(hints.map((h) => [h.groupId, h]));
  for (let r = 0; r < 3; r++) log(`applyHintChanges, nothing changed: ${ms(() => core.applyHintChanges([], [], all, T0 + 5 + r))} ms`);
  const some = hints.slice(0, Math.max(1, Math.round(jobs / 100))).map((h) => h.groupId);
  for (let r = 0; r < 3; r++) log(`applyHintChanges, ${some.length} of ${jobs} groups changed: ${ms(() => core.applyHintChanges(some, [], all, T0 + 8 + r))} ms`);
  const saved = new Map(placementChanges(new Map(), core.pods.values(), new Set(core.jobs.keys())).put);
  log(`placementChanges, every pod: ${ms(() => placementChanges(saved, core.pods.values(), new Set(core.jobs.keys())))} ms`);
  core.savedPlacementChanges(saved); // takes the news of the rounds above (every pod)
  core.applyHintChanges(some, [], all, T0 + 9);
  log(`placementChanges, the news of ${some.length} changed groups: ${ms(() => core.savedPlacementChanges(saved))} ms`);
  for (let r = 0; r < 3; r++) log(`tick: ${ms(() => core.tick(T0 + 10 + r))} ms`);
  // every worker reports "running" at the job's version once (its pod's view changes), then again unchanged
  const ids = hints.slice(0, 10).flatMap((h) => h.containers.map((c) => c.id));
  const report = (podId: string) => ({
    podId, containerId: podId, jobId: podId.slice(0, podId.lastIndexOf(".")), epochSeen: 0, state: "running", version: 1, tasks: [],
    agent: `a${Number(podId.slice(podId.lastIndexOf(".") + 1)) % 97}:1`, pid: 1, token: "", opId: "", message: "",
  });
  const half = ids.slice(0, ids.length >> 1);
  const rest = ids.slice(ids.length >> 1);
  let plans = core.plansMade;
  log(`FetchTask x ${half.length}, first reports one at a time: ${ms(() => { for (const id of half) core.fetchTask(report(id), T0 + 20); })} ms, ${core.plansMade - plans} plans`);
  plans = core.plansMade;
  log(`FetchTask x ${rest.length}, first reports recorded together (recordTask, then fetchTask: as the shell does): ${ms(() => {
    for (const id of rest) core.recordTask(report(id), T0 + 20);
    for (const id of rest) core.fetchTask(report(id), T0 + 20);
  })} ms, ${core.plansMade - plans} plans`);
  for (let r = 0; r < 2; r++) log(`FetchTask x ${ids.length}, unchanged: ${ms(() => { for (const id of ids) core.fetchTask(report(id), T0 + 21 + r); })} ms`);
  log(`podsOf, 1,000 calls: ${ms(() => { for (let i = 0; i < 1000; i++) core.podsOf(hints[i % jobs]!.groupId); })} ms`);
}

if (import.meta.main) {
  const [jobs = 100, perJob = 1000] = process.argv.slice(2).map(Number);
  measureAppMasterRound(jobs, perJob, console.log);
}
