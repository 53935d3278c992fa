// A batch pod that finished while its job runs on gives its container back at once (GroupSpec.released); the pod
// stays listed, finished, when ResMan's hints no longer name its container, and after a failover too.
import { expect, test } from "bun:test";
import type { ContainerInfo, FetchTaskRequest, Hint } from "../rpc/types.ts";
import { AppMasterCore, DEFAULT_CORE_OPTIONS } from "./core.ts";
import { spec } from "./fixtures.ts";
import { groupSpecOf } from "./jobs.ts";
import { podTruth } from "./pods.ts";

const T0 = Date.UTC(2026, 11, 6, 2, 0);
const opts = { ...DEFAULT_CORE_OPTIONS, warmupMs: 0 };

function container(id: string, agent: string): ContainerInfo {
  return {
    id, groupId: id.slice(0, id.lastIndexOf(".")), agent, state: "running", ports: [], volumes: [], lastError: "", pid: 1,
    startedAt: 1, usage: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 }, exitCode: 0, message: "",
    resources: { millicores: 0, memory: 0, disk: 0, ssd: 0 }, jobType: "batch", preemptedBy: "", reasons: {}, move: "", moveBlocked: "", placedAt: 0,
  };
}

function report(podId: string, agent: string, over: Partial<FetchTaskRequest>): FetchTaskRequest {
  return {
    podId, containerId: podId, jobId: podId.slice(0, podId.lastIndexOf(".")), epochSeen: 0, state: "pending", version: 0,
    tasks: [], agent, pid: 1, token: "", opId: "", message: "", ...over,
  };
}

const finished = { state: "finished", version: 1, tasks: [{ name: "main", state: "exited", pid: 0, exitCode: 0, signal: "", coreDumped: false, restarts: 0, message: "", startedAt: 5, version: "1", healthy: false }] };

test("a finished batch pod's container is released at once; the pod stays finished without a hint, and after a failover", () => {
  const core = new AppMasterCore(3, [], T0, opts);
  const { job } = core.submit(spec({ type: "batch", replica: 3, step: 3 }), "alice", T0, "7f3a");
  const ids = [0, 1, 2].map((i) => `${job.id}.${i}`);
  const hint = (live: string[]): Hint => ({ groupId: job.id, containers: live.map((id) => container(id, "a:1")) });
  core.applyHints([hint(ids)], T0 + 1);
  for (const id of ids) core.fetchTask(report(id, "a:1", {}), T0 + 2);
  const outs = [core.fetchTask(report(ids[0]!, "a:1", finished), T0 + 3).out, core.tick(T0 + 4)];
  const out = { writes: outs.flatMap((o) => o.writes), events: outs.flatMap((o) => o.events) };
  const rec = core.jobs.get(job.id)!;
  expect(rec.state).toBe("running");
  expect(rec.released).toEqual([ids[0]!]);
  expect(out.writes.some((w) => (w.value as { released?: string[] } | undefined)?.released?.includes(ids[0]!))).toBe(true); // persisted
  expect(out.events.filter((e) => e.kind === "released").map((e) => e.podId)).toEqual([ids[0]!]);
  expect(groupSpecOf(rec, T0 + 4)).toMatchObject({ replica: 3, released: [ids[0]] });

  // ResMan revoked it: the hints no longer name it; the pod is still listed, finished, where it ran
  core.applyHints([hint(ids.slice(1))], T0 + 5);
  const pod0 = core.podsOf(job.id).find((p) => p.id === ids[0]);
  expect(pod0 && podTruth(pod0, T0 + 60_000)).toMatchObject({ state: "finished", agent: "a:1" });
  expect(core.podsOf(job.id).map((p) => p.id)).toEqual(ids);
  core.applyHintChanges([job.id], [], new Map([[job.id, hint(ids.slice(1))]]), T0 + 6);
  expect(core.podsOf(job.id).map((p) => p.id)).toEqual(ids);

  // a new AppMaster leader: the job record says which pods were released; they come back finished
  const next = new AppMasterCore(4, [rec], T0 + 10, opts);
  next.applyHints([hint(ids.slice(1))], T0 + 11);
  expect(next.podsOf(job.id).map((p) => [p.id, p.state])).toEqual([[ids[0]!, "finished"], [ids[1]!, "deploying"], [ids[2]!, "deploying"]]);
  // the others finish: the job finishes (3 succeeded), nothing is requested any more
  for (const id of ids.slice(1)) next.fetchTask(report(id, "a:1", finished), T0 + 12);
  next.tick(T0 + 13);
  expect(next.jobs.get(job.id)).toMatchObject({ state: "finished", result: { succeeded: 3, failed: 0 } });
  expect(groupSpecOf(next.jobs.get(job.id)!, T0 + 13)).toMatchObject({ replica: 0, released: [] });
});
