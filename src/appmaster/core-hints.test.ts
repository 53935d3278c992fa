// AppMaster's incremental paths against the plain ones, round by round: a core that applies only the hints' news and
// reuses quiet plans (B13, B14) and one that applies every hint and plans every time, fed the same random history
// (hint changes, groups gone and back, worker reports, moves, lost agents, scaling, updates, time passing), must hold
// the same pods, jobs, saved placements and naming documents, answer workers alike and say the same things.
// Deterministic: seeded.
import { describe, expect, test } from "bun:test";
import type { ContainerInfo, FetchTaskRequest, Hint } from "../rpc/types.ts";
import { AppMasterCore, DEFAULT_CORE_OPTIONS, type Out } from "./core.ts";
import { seededRandom } from "../scheduler/random.ts";
import { spec } from "./fixtures.ts";
import { placementChanges, type PlacementRec } from "./placements.ts";
import { namingDocument, servicesOf } from "./services.ts";

const T0 = Date.UTC(2026, 10, 21, 20, 0);
// short timeouts, so the planner's time rules (pod_lost_timeout, blacklist expiry, deploy timeout) fire within a history
const opts = { ...DEFAULT_CORE_OPTIONS, warmupMs: 0, podLostTimeout: 15_000, blacklistTtl: 20_000 };
const AGENTS = ["a:1", "b:1", "c:1", "d:1"];
const STATES = ["running", "running", "running", "allocated", "lost", "pending", "preempted"];

function container(id: string, agent: string, state: string, lastError: string): ContainerInfo {
  return {
    id, groupId: id.slice(0, id.lastIndexOf(".")), agent, state, ports: agent ? [{ name: "http", port: 20001 }] : [], volumes: [], lastError,
    pid: 1, startedAt: 1, usage: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 }, exitCode: 0, message: "",
    resources: { millicores: 0, memory: 0, disk: 0, ssd: 0 }, jobType: "service", preemptedBy: "", reasons: {}, move: "", moveBlocked: "", placedAt: 0,
  };
}

function report(podId: string, agent: string, state: string, message: string, version: number, health: string): FetchTaskRequest {
  const tasks = health === "none" ? [] : [{
    name: "main", state: health === "exited" ? "exited" : "running", pid: 100, exitCode: -1, signal: "", coreDumped: false, restarts: 0,
    message: "", startedAt: 5, version: "1", healthy: health === "healthy",
  }];
  return {
    podId, containerId: podId, jobId: podId.slice(0, podId.lastIndexOf(".")), epochSeen: 0, state, version,
    tasks, agent, pid: 1, token: "", opId: "", message,
  };
}

/** Every live job's naming document, as the shell writes them. */
function namingDocs(core: AppMasterCore, ids: Iterable<string>, into = new Map<string, string>()): Map<string, string> {
  for (const id of ids) {
    const j = core.jobs.get(id);
    if (!j || j.state === "destroying") into.delete(id);
    else into.set(id, namingDocument(j.id, j.spec.name, j.version, servicesOf(j.spec, core.podsNow(j.id, 0))));
  }
  return into;
}

function remember(saved: Map<string, PlacementRec>, { put, del }: { put: [string, PlacementRec][]; del: string[] }): void {
  for (const [k, v] of put) saved.set(k, v);
  for (const k of del) saved.delete(k);
}

const sortedEvents = (o: Out) => o.events.map((e) => JSON.stringify(e)).sort();
const snapshot = (core: AppMasterCore) => ({
  pods: [...core.pods.values()].sort((a, b) => a.id.localeCompare(b.id)),
  jobs: [...core.jobs.values()].sort((a, b) => a.id.localeCompare(b.id)),
});

function history(seed: number, rounds: number): void {
  const r = seededRandom(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const full = new AppMasterCore(3, [], T0, { ...opts, planCache: false });
  const inc = new AppMasterCore(3, [], T0, opts);
  const ids: string[] = [];
  for (let j = 0; j < 4; j++) {
    const s = {
      ...spec({ replica: 3, type: pick(["service", "service", "batch"]), step: pick([1, 2]), interval: pick(["0s", "5s"]), deployTimeout: pick(["10s", "30s"]) }),
      name: `web${j}`, // names are unique per user
    };
    const suffix = j.toString(16).padStart(4, "0");
    ids.push(full.submit(s, "alice", T0, suffix).job.id);
    inc.submit(s, "alice", T0, suffix);
  }
  const hints = new Map<string, Hint>();
  const savedFull = new Map<string, PlacementRec>();
  const savedInc = new Map<string, PlacementRec>();
  const namingInc = new Map<string, string>();
  let now = T0;
  for (let round = 0; round < rounds; round++) {
    // ResMan's side: some groups change, some go, some come back (a new object per changed group, as merged)
    const changed: Hint[] = [];
    const removed: string[] = [];
    for (const g of ids) {
      const x = r();
      if (x < 0.08 && hints.has(g)) {
        hints.delete(g);
        removed.push(g);
      } else if (x < 0.45) {
        const n = 1 + Math.floor(r() * 4);
        const containers = Array.from({ length: n }, (_, i) => {
          const state = pick(STATES);
          const agent = state === "pending" || state === "preempted" ? "" : pick(AGENTS);
          return container(`${g}.${i}`, agent, state, state === "pending" ? pick(["", "no agent fits", "quota"]) : "");
        });
        const h = { groupId: g, containers };
        hints.set(g, h);
        changed.push(h);
      }
    }
    const all = [...hints.values()];
    expect(sortedEvents(inc.applyHintChanges(changed.map((h) => h.groupId), removed, hints, now))).toEqual(sortedEvents(full.applyHints(all, now)));
    expect(snapshot(inc)).toEqual(snapshot(full));
    // the saved placements (AppMaster's hints for a later failover): every pod each round vs only the news
    remember(savedFull, placementChanges(savedFull, full.pods.values(), new Set(full.jobs.keys())));
    remember(savedInc, inc.savedPlacementChanges(savedInc));
    expect(savedInc).toEqual(savedFull);
    // the world between two rounds: workers report (some from stale copies or unhinted pods), AppMaster moves pods
    for (let k = 0; k < 6; k++) {
      const g = pick(ids);
      const podId = `${g}.${Math.floor(r() * 5)}`;
      const req = report(podId, pick([...AGENTS, ""]), pick(["running", "running", "starting", "failed", "finished", "pending"]), pick(["", "", "main: exited 3"]), pick([0, 1, 1, 2]), pick(["none", "healthy", "healthy", "unhealthy", "exited"]));
      const a = full.fetchTask(req, now);
      const b = inc.fetchTask(req, now);
      expect(b.reply).toEqual(a.reply);
      expect(sortedEvents(b.out)).toEqual(sortedEvents(a.out));
      expect(b.out.writes).toEqual(a.out.writes);
    }
    if (r() < 0.3) {
      const g = pick(ids);
      const m = { pod: `${g}.${Math.floor(r() * 4)}`, jobId: g, agent: pick(AGENTS), reason: "test", blacklist: false, recreate: false };
      expect(sortedEvents(inc.moved(m, now))).toEqual(sortedEvents(full.moved(m, now)));
    }
    if (r() < 0.02) {
      const g = pick(ids);
      expect(inc.forget(g)).toEqual(full.forget(g));
    }
    if (r() < 0.05) { // the user scales a job, or updates it to a new package
      const g = pick(ids);
      if (full.jobs.get(g) && full.jobs.get(g)!.state !== "destroying" && full.jobs.get(g)!.state !== "finished") {
        const act = (core: AppMasterCore) => {
          try {
            return r2() < 0.5 ? core.scale(g, 1 + Math.floor(r2() * 4), now).out : core.update(g, spec({ replica: 3, pkg: String(round) }), 0, now).out;
          } catch (e) {
            return (e as Error).message;
          }
        };
        const seed2 = Math.floor(r() * 1e9);
        let r2 = seededRandom(seed2);
        const a = act(full);
        r2 = seededRandom(seed2);
        expect(act(inc)).toEqual(a);
      }
    }
    const tickFull = full.tick(now);
    const tickInc = inc.tick(now);
    expect(sortedEvents(tickInc)).toEqual(sortedEvents(tickFull));
    expect(tickInc.moves).toEqual(tickFull.moves);
    expect(tickInc.writes).toEqual(tickFull.writes);
    // naming files: every job's document vs only those of the jobs the core says may have changed
    const naming = inc.takeNamingNews();
    namingDocs(inc, naming ?? inc.jobs.keys(), namingInc);
    expect(namingInc).toEqual(namingDocs(full, full.jobs.keys()));
    now += pick([100, 500, 1_000, 3_000, 6_000]);
  }
}

describe("applyHintChanges", () => {
  test("holds what applyHints holds, round by round, over 200 random histories", () => {
    const seeds = Number(process.env.GALAXY_HINT_SEEDS ?? 200);
    for (let seed = 1; seed <= seeds; seed++) history(seed, 40);
  }, 600_000);

  test("an unchanged round applies nothing but what time changes", () => {
    const core = new AppMasterCore(3, [], T0, opts);
    const id = core.submit(spec({ replica: 2 }), "alice", T0, "0001").job.id;
    const h: Hint = { groupId: id, containers: [container(`${id}.0`, "a:1", "running", ""), container(`${id}.1`, "b:1", "lost", "")] };
    const hints = new Map([[id, h]]);
    expect(core.applyHintChanges([id], [], hints, T0 + 1).events.map((e) => e.kind).sort()).toEqual(["lost", "placed", "placed"]);
    expect(core.pods.get(`${id}.1`)!.state).toBe("lost"); // no worker ever reported: lost at once
    expect(core.applyHintChanges([], [], hints, T0 + 2).events).toEqual([]);
    // the lost pod's agent comes back: only its group changed
    const back: Hint = { groupId: id, containers: [h.containers[0]!, container(`${id}.1`, "b:1", "running", "")] };
    hints.set(id, back);
    expect(core.applyHintChanges([id], [], hints, T0 + 3).events.map((e) => e.kind)).toEqual(["found"]);
  });

  test("naming news: a task's health alone, and a job record's change alone, name the job", () => {
    const core = new AppMasterCore(3, [], T0, opts);
    const id = core.submit(spec({ replica: 1 }), "alice", T0, "0001").job.id;
    const h: Hint = { groupId: id, containers: [container(`${id}.0`, "a:1", "running", "")] };
    core.applyHintChanges([id], [], new Map([[id, h]]), T0 + 1);
    // the worker's message is its pod's last error either way: only the task's health changes below
    core.fetchTask(report(`${id}.0`, "a:1", "starting", "warming up", 1, "unhealthy"), T0 + 2);
    expect(core.takeNamingNews()).toBeNull(); // a new core: everything once
    expect(core.fetchTask(report(`${id}.0`, "a:1", "starting", "warming up", 1, "unhealthy"), T0 + 3).reply.command).toBeDefined();
    expect(core.takeNamingNews()).toEqual([]); // nothing changed
    core.fetchTask(report(`${id}.0`, "a:1", "starting", "warming up", 1, "healthy"), T0 + 4); // same view, healthier task
    expect(core.takeNamingNews()).toEqual([id]);
    core.groupRefused(id, "over quota", T0 + 5); // only the job record changes
    expect(core.takeNamingNews()).toEqual([id]);
  });
});
