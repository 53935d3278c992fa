// FetchTask in two halves (recordTask, then fetchTask a turn later, as the shell does): the same replies as one
// FetchTask at a time, with one plan for the reports recorded together instead of one per report.
import { expect, test } from "bun:test";
import type { FetchTaskRequest, Hint } from "../rpc/types.ts";
import { AppMasterCore, DEFAULT_CORE_OPTIONS } from "./core.ts";
import { spec } from "./fixtures.ts";

const T0 = Date.UTC(2026, 10, 21, 23, 0);
const PODS = 300;

function started(): { core: AppMasterCore; ids: string[] } {
  const core = new AppMasterCore(3, [], T0, { ...DEFAULT_CORE_OPTIONS, warmupMs: 0 });
  const { job } = core.submit(spec({ replica: PODS }), "alice", T0, "0001");
  const hint: Hint = {
    groupId: job.id,
    containers: Array.from({ length: PODS }, (_, i) => ({
      id: `${job.id}.${i}`, groupId: job.id, agent: `a${i % 7}:1`, state: "running", ports: [{ name: "http", port: 20000 + i }], volumes: [],
      lastError: "", pid: 1, startedAt: 1, usage: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 }, exitCode: 0, message: "",
      resources: { millicores: 0, memory: 0, disk: 0, ssd: 0 }, jobType: "service", preemptedBy: "", reasons: {}, move: "", moveBlocked: "", placedAt: 0,
    })),
  };
  core.applyHints([hint], T0 + 1);
  core.tick(T0 + 2);
  return { core, ids: hint.containers.map((c) => c.id) };
}

const report = (podId: string, state: string, version: number): FetchTaskRequest => ({
  podId, containerId: podId, jobId: podId.slice(0, podId.lastIndexOf(".")), epochSeen: 0, state, version, tasks: [],
  agent: `a${Number(podId.slice(podId.lastIndexOf(".") + 1)) % 7}:1`, pid: 1, token: "", opId: "", message: "",
});

test("reports recorded together, then fetched: the replies of one-at-a-time FetchTasks, a plan or two instead of one per report", () => {
  const one = started();
  const two = started();
  for (const round of [
    { state: "starting", version: 0, at: 10 },
    { state: "running", version: 1, at: 20 },
    { state: "running", version: 1, at: 30 },
  ]) {
    const plans0 = one.core.plansMade;
    const sequential = one.ids.map((id) => one.core.fetchTask(report(id, round.state, round.version), T0 + round.at).reply);
    const sequentialPlans = one.core.plansMade - plans0;

    const plans1 = two.core.plansMade;
    const early = two.ids.map((id) => two.core.recordTask(report(id, round.state, round.version), T0 + round.at).reply);
    expect(two.core.plansMade).toBe(plans1); // recording plans nothing
    const batched = two.ids.map((id, i) => early[i] ?? two.core.fetchTask(report(id, round.state, round.version), T0 + round.at).reply);
    expect(batched).toEqual(sequential);
    expect(two.core.plansMade - plans1).toBeLessThanOrEqual(3); // a plan that changes the job is followed by one more
    if (round.at === 20) expect(sequentialPlans).toBeGreaterThan(PODS / 2); // each report changed its pod's view
  }
});
