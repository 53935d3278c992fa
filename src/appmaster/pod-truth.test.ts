// One pod truth (pods.ts): the agent's word on a container wins over the worker's last report; a stale report is
// not believed; what clients, naming files and job status see (podTruth, servicesOf).
import { describe, expect, test } from "bun:test";
import type { ContainerInfo, FetchTaskRequest, TaskStatus } from "../rpc/types.ts";
import { spec } from "./fixtures.ts";
import { applyHint, isStale, newPod, podTruth, recordReport, STALE_REPORT_MS, StaleReports, type PodRec } from "./pods.ts";
import { servicesOf } from "./services.ts";

const ID = "web-1.0";

function container(over: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id: ID, groupId: "web-1", agent: "a:1", state: "running", ports: [{ name: "http", port: 20001 }], volumes: [], lastError: "",
    pid: 1, startedAt: 1, usage: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 }, exitCode: 0, message: "",
    resources: { millicores: 0, memory: 0, disk: 0, ssd: 0 }, jobType: "service", preemptedBy: "", reasons: {}, move: "", moveBlocked: "", placedAt: 0, ...over,
  };
}

function task(over: Partial<TaskStatus> = {}): TaskStatus {
  return { name: "main", state: "running", pid: 100, exitCode: -1, signal: "", coreDumped: false, restarts: 0, message: "", startedAt: 5, version: "1", healthy: true, ...over };
}

function report(over: Partial<FetchTaskRequest> = {}): FetchTaskRequest {
  return { podId: ID, containerId: ID, jobId: "web-1", epochSeen: 0, state: "running", version: 1, tasks: [task()], agent: "a:1", pid: 1, token: "", opId: "", message: "", ...over };
}

/** A pod placed on a:1 at `at` whose worker reported running (healthy) at `at`. */
function runningPod(at = 1_000): PodRec {
  const p = newPod(ID, "web-1", 0);
  applyHint(p, container({ placedAt: 10 }), at);
  recordReport(p, report(), at);
  return p;
}

describe("the agent's word on its container", () => {
  test("a container that failed at creation makes the unreported pod failed with the agent's reason, and says so", () => {
    const p = newPod(ID, "web-1", 0);
    applyHint(p, container({ state: "creating" }), 1);
    expect(p.state).toBe("deploying");
    const events = applyHint(p, container({ state: "failed", message: "placement failed: port 8080 (http) is already in use on this host" }), 2);
    expect(p.state).toBe("failed");
    expect(p.lastError).toBe("placement failed: port 8080 (http) is already in use on this host");
    expect(events).toEqual([{ podId: ID, kind: "failed", message: "container failed on a:1: placement failed: port 8080 (http) is already in use on this host" }]);
    expect(applyHint(p, container({ state: "failed", message: "placement failed: port 8080 (http) is already in use on this host" }), 3)).toEqual([]); // said once
  });

  test("a running pod whose container the agent killed is failed at once; a report sent before the kill does not revive it", () => {
    const p = runningPod();
    applyHint(p, container({ state: "failed", message: "killed: workspace uses 4.8M of its 1M for longer than 30s" }), 2_000);
    expect(p.state).toBe("failed");
    expect(p.lastError).toBe("killed: workspace uses 4.8M of its 1M for longer than 30s");
    recordReport(p, report(), 2_001);
    expect(p.state).toBe("failed");
    const seen = podTruth(p, 2_001);
    expect(seen).toMatchObject({ state: "failed", healthy: false });
    expect(seen.tasks.map((t) => [t.state, t.healthy])).toEqual([["stopped", false]]);
  });

  test("a container that exited fails a pod that was running, not one that finished or was terminated", () => {
    const p = runningPod();
    expect(applyHint(p, container({ state: "exited", message: "worker exited 0" }), 2_000)).toEqual([
      { podId: ID, kind: "exit", message: "container exited on a:1: worker exited 0" },
    ]);
    expect(p).toMatchObject({ state: "failed", lastError: "container exited: worker exited 0" });
    const done = runningPod();
    recordReport(done, report({ state: "finished", tasks: [task({ state: "exited", exitCode: 0, healthy: false })] }), 1_500);
    applyHint(done, container({ state: "exited", message: "worker exited 0" }), 2_000);
    expect(done.state).toBe("finished");
    const stopping = runningPod();
    recordReport(stopping, report({ state: "stopping" }), 1_500);
    applyHint(stopping, container({ state: "exited", message: "worker exited 0" }), 2_000);
    expect(stopping.state).toBe("stopping");
  });

  test("a note on a running container (an OOM kill) is an event and the last error while the worker has none", () => {
    const p = runningPod();
    const events = applyHint(p, container({ message: "OOM killer: 1 process(es) killed at the memory limit of 64M" }), 1_500);
    expect(events).toEqual([{ podId: ID, kind: "agent", message: "a:1: OOM killer: 1 process(es) killed at the memory limit of 64M" }]);
    expect(p.state).toBe("running");
    expect(podTruth(p, 1_500)).toMatchObject({ state: "running", healthy: true, lastError: "OOM killer: 1 process(es) killed at the memory limit of 64M" });
  });

  test("a container its agent no longer has (ResMan: allocated again on the same agent) is a fresh pod, not running", () => {
    const p = runningPod();
    const events = applyHint(p, container({ state: "allocated", message: "its agent no longer has it; it is made again" }), 2_000);
    expect(events).toEqual([{ podId: ID, kind: "lost", message: "container gone on a:1: its agent no longer has it; it is made again" }]);
    expect(p).toMatchObject({ state: "deploying", reported: false, version: 0, tasks: [] });
    expect(podTruth(p, 2_000).healthy).toBe(false);
    expect(applyHint(p, container({ state: "creating" }), 2_100)).toEqual([]); // said once; creating after allocated is no news
    const q = newPod(ID, "web-1", 0);
    applyHint(q, container({ state: "creating" }), 1);
    applyHint(q, container({ state: "allocated" }), 2);
    expect(q.state).toBe("deploying"); // never ran: nothing was lost
  });

  test("placedAt: the hint's placement time, never before this leader first heard of the pod; 0 when unplaced", () => {
    const p = newPod(ID, "web-1", 500);
    applyHint(p, container({ placedAt: 100 }), 600);
    expect(p.placedAt).toBe(500);
    applyHint(p, container({ placedAt: 900 }), 1_000);
    expect(p.placedAt).toBe(900);
    applyHint(p, container({ agent: "", state: "pending", placedAt: 0 }), 1_100);
    expect(p.placedAt).toBe(0);
  });

  test("blocked: unplaced only because of the job's blacklist (or agents down); its last failure stays in its error", () => {
    const p = runningPod();
    recordReport(p, report({ state: "failed", tasks: [task({ state: "failed", message: "exited 3" })] }), 1_100);
    applyHint(p, container({ agent: "", state: "pending", lastError: "2 agents: blacklist", reasons: { blacklist: 2 } }), 1_200);
    expect(p.blocked).toBe(true);
    expect(p.lastError).toBe("2 agents: blacklist (it failed: main: exited 3)");
    for (const reasons of [{ blacklist: 1, "agent dead": 1, pool: 2 }, { blacklist: 1, labels: 1 }] as Record<string, number>[]) {
      applyHint(p, container({ agent: "", state: "pending", reasons }), 1_300);
      expect(p.blocked).toBe(true);
    }
    for (const reasons of [{ blacklist: 1, "no memory": 1 }, { "no memory": 2 }, {}] as Record<string, number>[]) {
      applyHint(p, container({ agent: "", state: "pending", reasons }), 1_400);
      expect(p.blocked).toBe(false);
    }
  });
});

describe("what clients see", () => {
  test("a fresh running report with healthy tasks is running and healthy", () => {
    expect(podTruth(runningPod(), 1_000 + STALE_REPORT_MS)).toMatchObject({ state: "running", healthy: true, lastError: "" });
  });

  test("a report older than STALE_REPORT_MS says lost, not running; tasks unknown", () => {
    const p = runningPod();
    expect(isStale(p, 1_000 + STALE_REPORT_MS)).toBe(false);
    expect(isStale(p, 1_001 + STALE_REPORT_MS)).toBe(true);
    const seen = podTruth(p, 13_000);
    expect(seen).toMatchObject({ state: "lost", healthy: false, lastError: "no report from its worker for 12s" });
    expect(seen.tasks.map((t) => [t.state, t.healthy])).toEqual([["unknown", false]]);
    expect(p.state).toBe("running"); // the record keeps the report; only what is shown changes
  });

  test("an ended or stopping pod is not stale: failed, finished and stopping stay as reported", () => {
    const p = runningPod();
    recordReport(p, report({ state: "failed", tasks: [task({ state: "failed", message: "exited 3", healthy: false })] }), 1_000);
    expect(podTruth(p, 100_000).state).toBe("failed");
    recordReport(p, report({ state: "stopping" }), 1_000);
    expect(podTruth(p, 100_000)).toMatchObject({ state: "stopping", healthy: false });
  });

  test("healthy needs every running task's check passing; a lost agent leaves nothing healthy", () => {
    const p = runningPod();
    recordReport(p, report({ state: "running", tasks: [task(), task({ name: "side", healthy: false })] }), 1_000);
    expect(podTruth(p, 1_000).healthy).toBe(false);
    const q = runningPod();
    applyHint(q, container({ state: "lost" }), 20_000);
    expect(podTruth(q, 20_000)).toMatchObject({ state: "lost", healthy: false });
  });

  test("services: a failed, lost or silent pod serves nothing; an unhealthy task is unhealthy", () => {
    const s = spec({ replica: 1 });
    const status = (p: PodRec, now: number) => servicesOf(s, [podTruth(p, now)])[0]!.status;
    expect(status(runningPod(), 1_000)).toBe("healthy");
    expect(status(runningPod(), 1_001 + STALE_REPORT_MS)).toBe("down");
    const killed = runningPod();
    applyHint(killed, container({ state: "failed", message: "evicted: memory pressure" }), 1_100);
    expect(status(killed, 1_100)).toBe("down");
    const starting = runningPod();
    recordReport(starting, report({ state: "starting", tasks: [task({ healthy: false })] }), 1_000);
    expect(status(starting, 1_000)).toBe("unhealthy");
    const failedWorker = runningPod();
    recordReport(failedWorker, report({ state: "failed", tasks: [task()] }), 1_000);
    expect(status(failedWorker, 1_000)).toBe("down");
  });
});

describe("StaleReports", () => {
  test("each pod once per report, when its last report is older than STALE_REPORT_MS; a new report moves it on", () => {
    const w = new StaleReports();
    w.reported("a", 0);
    w.reported("b", 100);
    w.reported("a", 200); // a reported again: due after b
    expect(w.takeDue(STALE_REPORT_MS)).toEqual([]);
    expect(w.takeDue(STALE_REPORT_MS + 101)).toEqual(["b"]);
    expect(w.takeDue(STALE_REPORT_MS + 201)).toEqual(["a"]);
    expect(w.takeDue(10 * STALE_REPORT_MS)).toEqual([]);
  });
});
