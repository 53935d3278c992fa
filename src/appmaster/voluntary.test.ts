import { describe, expect, test } from "bun:test";
import type { ContainerInfo, FetchTaskRequest, TaskStatus } from "../rpc/types.ts";
import { AppMasterCore, DEFAULT_CORE_OPTIONS } from "./core.ts";
import { spec } from "./fixtures.ts";

const T0 = Date.UTC(2026, 11, 6, 1, 0);
const opts = { ...DEFAULT_CORE_OPTIONS, warmupMs: 0 };

function container(id: string, agent: string, move = "", moveBlocked = ""): ContainerInfo {
  return {
    id, groupId: id.slice(0, id.lastIndexOf(".")), agent, state: agent ? "running" : "pending", ports: agent ? [{ name: "http", port: 20001 }] : [],
    volumes: [], lastError: "", pid: 1, startedAt: 1, usage: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 }, exitCode: 0,
    message: "", resources: { millicores: 0, memory: 0, disk: 0, ssd: 0 }, jobType: "service", preemptedBy: "", reasons: {}, move, moveBlocked, placedAt: 0,
  };
}

const task = (healthy = true): TaskStatus => ({
  name: "main", state: "running", pid: 100, exitCode: -1, signal: "", coreDumped: false, restarts: 0, message: "", startedAt: 5, version: "1", healthy,
});

function report(podId: string, agent: string, state = "running", healthy = true): FetchTaskRequest {
  return {
    podId, containerId: podId, jobId: podId.slice(0, podId.lastIndexOf(".")), epochSeen: 0, state, version: 1,
    tasks: [task(healthy)], agent, pid: 1, token: "", opId: "", message: "",
  };
}

/** A 3-pod step-1 service running healthy on a:1, whose agent ResMan now drains (every container marked). */
function draining(blocked = "") {
  const core = new AppMasterCore(3, [], T0, opts);
  const { job } = core.submit(spec({ replica: 3, step: 1 }), "alice", T0, "0001");
  const ids = [0, 1, 2].map((i) => `${job.id}.${i}`);
  core.applyHints([{ groupId: job.id, containers: ids.map((id) => container(id, "a:1")) }], T0 + 1);
  for (const id of ids) core.fetchTask(report(id, "a:1"), T0 + 2);
  const out = core.applyHints([{ groupId: job.id, containers: ids.map((id) => container(id, "a:1", "drain of a:1", blocked)) }], T0 + 3);
  return { core, id: job.id, ids, out };
}

describe("voluntary moves: AppMaster moves what ResMan marks, within the disruption budget", () => {
  test("step 1: one pod moves; the next only once its replacement runs healthy; the old copy stops only then", () => {
    const { core, id, ids } = draining();
    const first = core.tick(T0 + 4).moves;
    expect(first.map((m) => [m.pod, m.agent, m.reason, m.voluntary])).toEqual([[ids[0], "a:1", "drain of a:1", true]]);
    const moved = core.moved(first[0]!, T0 + 5);
    expect(moved.events.map((e) => [e.kind, e.message])).toEqual([
      ["move", "moving off a:1 (drain of a:1): a replacement starts elsewhere; the old copy stops once it runs healthy"],
    ]);
    expect(core.tick(T0 + 6).moves).toEqual([]); // web.0 is not healthy: the budget is spent
    expect(core.fetchTask(report(ids[0]!, "a:1"), T0 + 7).reply.command).toBe("none"); // the old copy serves on
    // ResMan placed the new copy on b:1; it deploys, then runs but its health check does not pass yet
    const hint = (c0: ContainerInfo) => ({ groupId: id, containers: [c0, ...ids.slice(1).map((x) => container(x, "a:1", "drain of a:1"))] });
    core.applyHints([hint(container(ids[0]!, "b:1"))], T0 + 10_000);
    core.fetchTask({ ...report(ids[0]!, "b:1", "starting", false), version: 0 }, T0 + 10_001);
    core.fetchTask(report(ids[0]!, "b:1", "starting", false), T0 + 10_002);
    expect(core.tick(T0 + 10_003).moves).toEqual([]);
    expect(core.fetchTask(report(ids[0]!, "a:1"), T0 + 10_004).reply.command).toBe("none");
    core.fetchTask(report(ids[0]!, "b:1"), T0 + 10_005); // healthy now
    expect(core.fetchTask(report(ids[0]!, "a:1"), T0 + 10_006).reply.command).toBe("terminate");
    expect(core.tick(T0 + 10_007).moves.map((m) => m.pod)).toEqual([ids[1]!]);
  });

  test("step 2 moves two at once; a pod down already does not count against it", () => {
    const core = new AppMasterCore(3, [], T0, opts);
    const { job } = core.submit(spec({ replica: 4, step: 2 }), "alice", T0, "0002");
    const ids = [0, 1, 2, 3].map((i) => `${job.id}.${i}`);
    core.applyHints([{ groupId: job.id, containers: ids.map((x) => container(x, "a:1")) }], T0 + 1);
    for (const x of ids) core.fetchTask(report(x, "a:1"), T0 + 2);
    core.applyHints([{ groupId: job.id, containers: ids.map((x) => container(x, "a:1", "drain of a:1")) }], T0 + 3);
    expect(core.tick(T0 + 4).moves.map((m) => m.pod)).toEqual([ids[0]!, ids[1]!]);
  });

  test("no room: nothing moves, and one event says why the drain waits", () => {
    const { core, ids, out } = draining("1 agent: agent draining, 1: no cpu");
    expect(out.events.filter((e) => e.kind === "move").map((e) => e.message)).toEqual(ids.map((x) => `drain of a:1 waits: no room for ${x} (1 agent: agent draining, 1: no cpu)`));
    expect(core.tick(T0 + 4).moves).toEqual([]);
    const again = core.applyHints([{ groupId: ids[0]!.slice(0, -2), containers: ids.map((x) => container(x, "a:1", "drain of a:1", "1 agent: agent draining, 1: no cpu")) }], T0 + 5);
    expect(again.events.filter((e) => e.kind === "move")).toEqual([]);
  });

  test("a pod in the deploy step (an update) counts as down: with step 1 no drain move starts meanwhile", () => {
    const { core, id } = draining();
    core.update(id, spec({ replica: 3, step: 1, pkg: "2" }), 0, T0 + 4);
    const out = core.tick(T0 + 5);
    expect(core.jobs.get(id)!.step?.pods.length).toBe(1);
    expect(out.moves).toEqual([]);
  });

  test("after an AppMaster failover the old copy of a moved pod still stops once the new one runs healthy", () => {
    const before = draining();
    const { id, ids } = before;
    const core = new AppMasterCore(4, [...before.core.jobs.values()], T0, opts); // the new leader: no memory of the move
    core.applyHints([{ groupId: id, containers: [container(ids[0]!, "b:1"), ...ids.slice(1).map((x) => container(x, "a:1", "drain of a:1"))] }], T0 + 10);
    expect(core.fetchTask(report(ids[0]!, "a:1"), T0 + 11).reply.command).toBe("none"); // nothing runs on b:1 yet
    core.fetchTask(report(ids[0]!, "b:1", "starting", false), T0 + 12);
    expect(core.fetchTask(report(ids[0]!, "a:1"), T0 + 13).reply.command).toBe("none");
    core.fetchTask(report(ids[0]!, "b:1"), T0 + 14);
    expect(core.fetchTask(report(ids[0]!, "a:1"), T0 + 15).reply.command).toBe("terminate");
  });

  test("a move ResMan cancels (the drain stopped before the new copy was placed): the pod is back where it runs", () => {
    const { core, id, ids } = draining();
    const [m] = core.tick(T0 + 4).moves;
    core.moved(m!, T0 + 5);
    core.applyHints([{ groupId: id, containers: ids.map((x) => container(x, "a:1")) }], T0 + 10_000); // the old copy again
    expect(core.podsOf(id)[0]!.agent).toBe("a:1");
    expect(core.fetchTask(report(ids[0]!, "a:1"), T0 + 10_001).reply.command).toBe("none");
    expect(core.podsOf(id)[0]!.state).toBe("running");
    expect(core.tick(T0 + 10_002).moves).toEqual([]);
  });

  test("a mark ResMan takes back (the drain stopped) moves nothing", () => {
    const { core, id, ids } = draining();
    core.applyHints([{ groupId: id, containers: ids.map((x) => container(x, "a:1")) }], T0 + 4);
    expect(core.tick(T0 + 5).moves).toEqual([]);
  });
});
