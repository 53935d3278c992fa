import { describe, expect, test } from "bun:test";
import { GalaxyError, UnavailableError } from "../core/errors.ts";
import type { ContainerInfo, FetchTaskRequest, Hint, TaskStatus } from "../rpc/types.ts";
import { admitGroupChange, admitNewJob, type GroupGate } from "./admission.ts";
import { AppMasterCore, DEFAULT_CORE_OPTIONS, type Out } from "./core.ts";
import { STALE_REPORT_MS } from "./pods.ts";
import { spec } from "./fixtures.ts";
import { servicesOf } from "./services.ts";
import { jobView } from "./views.ts";

const T0 = Date.UTC(2026, 10, 21, 14, 32);
const opts = { ...DEFAULT_CORE_OPTIONS, warmupMs: 0 };

function container(id: string, agent: string, state = "running", port = 20001): ContainerInfo {
  return {
    id, groupId: id.slice(0, id.lastIndexOf(".")), agent, state, ports: [{ name: "http", port }], volumes: [], lastError: "",
    pid: 1, startedAt: 1, usage: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 }, exitCode: 0, message: "",
    resources: { millicores: 0, memory: 0, disk: 0, ssd: 0 }, jobType: "service", preemptedBy: "", reasons: {}, move: "", moveBlocked: "", placedAt: 0,
  };
}

function task(over: Partial<TaskStatus> = {}): TaskStatus {
  return { name: "main", state: "running", pid: 100, exitCode: -1, signal: "", coreDumped: false, restarts: 0, message: "", startedAt: 5, version: "1", healthy: true, ...over };
}

function report(podId: string, agent: string, over: Partial<FetchTaskRequest> = {}): FetchTaskRequest {
  return {
    podId, containerId: podId, jobId: podId.slice(0, podId.lastIndexOf(".")), epochSeen: 0, state: "pending", version: 0,
    tasks: [], agent, pid: 1, token: "", opId: "", message: "", ...over,
  };
}

/** A core with one submitted 2-replica job whose containers ResMan placed on a:1 and b:1. */
function placed(replica = 2) {
  const core = new AppMasterCore(3, [], T0, opts);
  const { job } = core.submit(spec({ replica }), "alice", T0, "7f3a");
  const hint: Hint = { groupId: job.id, containers: Array.from({ length: replica }, (_, i) => container(`${job.id}.${i}`, i % 2 ? "b:1" : "a:1", "running", 20001 + i)) };
  const out = core.applyHints([hint], T0 + 1);
  return { core, id: job.id, hint, out };
}

const kinds = (out: Out) => out.events.map((e) => `${e.podId.slice(-1) || "-"} ${e.kind}`);

describe("AppMasterCore", () => {
  test("submit makes a pending job; the first hints make it running and place its pods", () => {
    const { core, id, out } = placed();
    expect(id).toBe("web-20261121-1432-7f3a");
    expect(core.jobs.get(id)!.state).toBe("running");
    expect(kinds(out)).toEqual(["0 placed", "1 placed"]);
    expect(out.writes.map((w) => w.value?.state)).toEqual(["running"]);
    expect(core.podsOf(id).map((p) => [p.agent, p.state])).toEqual([["a:1", "deploying"], ["b:1", "deploying"]]);
  });

  test("FetchTask: a fresh worker is admitted by the step and told to start; the other waits", () => {
    const { core, id } = placed();
    const r0 = core.fetchTask(report(`${id}.0`, "a:1"), T0 + 2);
    expect(r0.reply).toMatchObject({ epoch: 3, command: "start", version: 1, intervalMs: 300 });
    expect(JSON.parse(r0.reply.podJson)).toMatchObject({ jobId: id, version: 1, jobType: "service", stopTimeout: 30_000 });
    expect(r0.out.writes.length).toBe(1); // the step, persisted before the reply
    expect(core.fetchTask(report(`${id}.1`, "b:1"), T0 + 3).reply.command).toBe("none");
    // pod 0 runs: pod 1 is next
    core.fetchTask(report(`${id}.0`, "a:1", { state: "running", version: 1, tasks: [task()] }), T0 + 4);
    expect(core.fetchTask(report(`${id}.1`, "b:1"), T0 + 5).reply.command).toBe("start");
  });

  test("after taking over, the core only listens for the warm-up", () => {
    const core = new AppMasterCore(4, [], T0, { ...opts, warmupMs: 3000 });
    const { job } = core.submit(spec(), "alice", T0, "0000");
    core.applyHints([{ groupId: job.id, containers: [container(`${job.id}.0`, "a:1")] }], T0);
    expect(core.fetchTask(report(`${job.id}.0`, "a:1"), T0 + 2999).reply.command).toBe("none");
    expect(core.tick(T0 + 2999)).toEqual({ writes: [], events: [], moves: [] });
    expect(core.fetchTask(report(`${job.id}.0`, "a:1"), T0 + 3000).reply.command).toBe("start");
  });

  test("reports become events: exits with their reason, restarts, failure", () => {
    const { core, id } = placed(1);
    const p = `${id}.0`;
    core.fetchTask(report(p, "a:1", { state: "running", version: 1, tasks: [task()] }), T0 + 2);
    const exited = core.fetchTask(report(p, "a:1", { state: "starting", version: 1, tasks: [task({ state: "exited", exitCode: 3, message: "exited 3" })] }), T0 + 3);
    expect(exited.out.events.map((e) => e.message)).toEqual(["task main exited 3"]);
    const restarted = core.fetchTask(report(p, "a:1", { state: "starting", version: 1, tasks: [task({ pid: 101, restarts: 1, message: "exited 3" })] }), T0 + 4);
    expect(restarted.out.events.map((e) => e.kind)).toEqual(["restart"]);
    const failed = core.fetchTask(report(p, "a:1", { state: "failed", version: 1, tasks: [task({ state: "failed", exitCode: 3, restarts: 1, message: "exited 3; gave up after 1 restarts" })] }), T0 + 5);
    expect(failed.out.events.map((e) => e.message)).toEqual([
      "task main exited 3; gave up after 1 restarts",
      "failed: main: exited 3; gave up after 1 restarts",
      "agent a:1 blacklisted for 5m: failed on a:1: main: exited 3; gave up after 1 restarts",
    ]);
    expect(core.pods.get(p)!.lastError).toBe("main: exited 3; gave up after 1 restarts");
  });

  test("a failed pod is moved: blacklist persisted first, then the move; its old copy is told to stop once the new one runs", () => {
    const { core, id } = placed(1);
    const p = `${id}.0`;
    const fetched = core.fetchTask(report(p, "a:1", { state: "failed", version: 1, tasks: [task({ state: "failed", message: "exited 3" })] }), T0 + 2);
    expect(fetched.out.writes.at(-1)!.value!.blacklist.map((b) => b.agent)).toEqual(["a:1"]); // decided, persisted first
    const out = core.tick(T0 + 3); // the shell's round sends the group (with the blacklist), then the move
    expect(out.moves).toEqual([expect.objectContaining({ jobId: id, pod: p, agent: "a:1", blacklist: true, reason: "failed on a:1: main: exited 3" })]);
    const moved = core.moved(out.moves[0]!, T0 + 4);
    expect(kinds(moved)).toEqual(["0 failover"]);
    expect(core.jobs.get(id)!.moves[p]).toEqual({ count: 1, agent: "" });
    expect(core.pods.get(p)).toMatchObject({ agent: "", state: "pending", version: 0 });
    // a hint still naming a:1 within the grace is ignored; the old copy's reports are not recorded
    core.applyHints([{ groupId: id, containers: [container(p, "a:1")] }], T0 + 5);
    expect(core.pods.get(p)!.agent).toBe("");
    expect(core.fetchTask(report(p, "a:1", { state: "failed", version: 1 }), T0 + 6).reply.command).toBe("none");
    // placed on b:1, running there: now the old copy is told to terminate
    core.applyHints([{ groupId: id, containers: [container(p, "b:1")] }], T0 + 7);
    core.fetchTask(report(p, "b:1", { state: "running", version: 1, tasks: [task()] }), T0 + 8);
    expect(core.fetchTask(report(p, "a:1", { state: "failed", version: 1 }), T0 + 9).reply.command).toBe("terminate");
  });

  test("hints: a container taken off its agent is a preemption; a group without containers has no pods", () => {
    const { core, id } = placed(2);
    const preempted = { ...container(`${id}.1`, "", "preempted"), preemptedBy: "db.0 (monitor)" };
    const out = core.applyHints([{ groupId: id, containers: [container(`${id}.0`, "a:1"), preempted] }], T0 + 2);
    expect(out.events.map((e) => e.message)).toEqual(["preempted on b:1 by db.0 (monitor)"]);
    expect(core.pods.get(`${id}.1`)).toMatchObject({ agent: "", state: "pending", version: 0 });
    core.applyHints([], T0 + 3);
    expect(core.podsOf(id)).toEqual([]);
  });

  test("a silent agent: the pod is lost (event), and found again when it returns", () => {
    const { core, id } = placed(1);
    const lost = core.applyHints([{ groupId: id, containers: [container(`${id}.0`, "a:1", "lost")] }], T0 + 2);
    expect(lost.events.map((e) => e.kind)).toEqual(["lost"]);
    expect(core.pods.get(`${id}.0`)).toMatchObject({ state: "lost", lostSince: T0 + 2 });
    const found = core.applyHints([{ groupId: id, containers: [container(`${id}.0`, "a:1", "running")] }], T0 + 3);
    expect(found.events.map((e) => e.kind)).toEqual(["found"]);
    expect(core.pods.get(`${id}.0`)!.lostSince).toBe(0);
  });

  test("a copy on an agent the hints do not name is ignored (ResMan may have moved it)", () => {
    const { core, id } = placed(1);
    expect(core.fetchTask(report(`${id}.0`, "z:1", { state: "running", version: 1 }), T0 + 2).reply.command).toBe("none");
    expect(core.pods.get(`${id}.0`)!.reported).toBe(false);
  });

  test("recover: one rebuild at the job's version with an op id, until the worker reports it done", () => {
    const { core, id } = placed(1);
    const p = `${id}.0`;
    core.fetchTask(report(p, "a:1", { state: "failed", version: 1 }), T0 + 2);
    const { out } = core.recover("web", "0", T0 + 3);
    expect(kinds(out)).toEqual(["0 recover"]);
    expect(core.tick(T0 + 4).moves).toEqual([]); // the failure policy leaves it alone
    const r = core.fetchTask(report(p, "a:1", { state: "failed", version: 1 }), T0 + 5).reply;
    expect(r).toMatchObject({ command: "rebuild", version: 1, opId: `recover-${T0 + 3}` });
    core.fetchTask(report(p, "a:1", { state: "running", version: 1, opId: r.opId, tasks: [task()] }), T0 + 6);
    expect(core.pods.get(p)!.pendingOp).toBe("");
    expect(() => core.recover(id, "9", T0)).toThrow('no pod "9"');
  });

  test("removing: workers are told to terminate; the job is released when they stopped", () => {
    const { core, id } = placed(1);
    core.fetchTask(report(`${id}.0`, "a:1", { state: "running", version: 1, tasks: [task()] }), T0 + 2);
    core.remove(id.slice(0, 8), T0 + 3);
    expect(core.fetchTask(report(`${id}.0`, "a:1", { state: "running", version: 1 }), T0 + 4).reply.command).toBe("terminate");
    expect(core.readyToRelease(T0 + 5, 5000)).toEqual([]);
    core.fetchTask(report(`${id}.0`, "a:1", { state: "terminated", version: 1 }), T0 + 6);
    expect(core.readyToRelease(T0 + 7, 5000).map((j) => j.id)).toEqual([id]);
  });

  test("services: agent host and real port, status from health", () => {
    const { core, id } = placed(2);
    core.fetchTask(report(`${id}.0`, "a:1", { state: "running", version: 1, tasks: [task()] }), T0 + 2);
    core.fetchTask(report(`${id}.1`, "b:1", { state: "starting", version: 1, tasks: [task({ healthy: false })] }), T0 + 2);
    const job = core.jobs.get(id)!;
    expect(servicesOf(job.spec, core.podsNow(id, T0 + 2))).toEqual([
      { pod: `${id}.0`, service: "web", address: "a:20001", status: "healthy" },
      { pod: `${id}.1`, service: "web", address: "b:20002", status: "unhealthy" },
    ]);
    const v = core.viewJob(job, T0 + 2);
    expect(v).toMatchObject({ running: 1, deploying: 1, replica: 2, updated: 2, state: "running" });
  });
});

describe("admission at ResMan", () => {
  function gate(fail: Error | null): GroupGate & { persisted: Out[] } {
    const persisted: Out[] = [];
    return {
      persisted,
      persist: async (out) => void persisted.push(out),
      sendGroup: async () => {
        if (fail) throw fail;
      },
    };
  }

  test("accepted: the job is persisted (pending) before the group is requested", async () => {
    const core = new AppMasterCore(1, [], T0, opts);
    const g = gate(null);
    const { job, out } = core.submit(spec(), "alice", T0, "0001");
    expect(await admitNewJob(core, g, job, out)).toEqual([]);
    expect(g.persisted[0]!.writes[0]!.value!.state).toBe("pending");
  });

  test("refused (quota, permission, bad pool): the job is deleted and the refusal returned", async () => {
    for (const code of ["QUOTA_EXCEEDED", "PERMISSION_DENIED", "INVALID", "NOT_FOUND"] as const) {
      const core = new AppMasterCore(1, [], T0, opts);
      const g = gate(new GalaxyError(code, `no: ${code}`));
      const { job, out } = core.submit(spec(), "alice", T0, "0002");
      await expect(admitNewJob(core, g, job, out)).rejects.toThrow(`no: ${code}`);
      expect(core.jobs.size).toBe(0);
      expect(g.persisted.at(-1)!.writes.map(({ key, value }) => ({ key, value }))).toEqual([{ key: job.id, value: null }]);
    }
  });

  test("ResMan unreachable: the job is kept and a warning returned", async () => {
    const core = new AppMasterCore(1, [], T0, opts);
    const { job, out } = core.submit(spec(), "alice", T0, "0003");
    const warnings = await admitNewJob(core, gate(new UnavailableError("no ResMan at 127.0.0.1:1 (connection refused)")), job, out);
    expect(warnings[0]).toContain("ResMan could not be reached (no ResMan at 127.0.0.1:1 (connection refused)); the job is kept");
    expect(core.jobs.get(job.id)!.state).toBe("pending");
  });

  test("a refused scale puts the old record back", async () => {
    const { core, id } = placed(2);
    const { job, before, out } = core.scale(id, 50, T0 + 5);
    await expect(admitGroupChange(core, gate(new GalaxyError("QUOTA_EXCEEDED", "quota of alice exceeded on replica")), before, job, out)).rejects.toThrow("quota");
    expect(core.jobs.get(id)!.spec.deploy.replica).toBe(2);
  });
});

describe("pod truth over time", () => {
  test("a worker gone silent: tick names its job for the naming file; its view says lost, the job degraded", () => {
    const { core, id } = placed(1);
    core.fetchTask(report(`${id}.0`, "a:1", { state: "running", version: 1, tasks: [task()] }), T0 + 2);
    core.tick(T0 + 3);
    core.takeNamingNews();
    core.tick(T0 + 2 + STALE_REPORT_MS);
    expect(core.takeNamingNews()).toEqual([]);
    core.tick(T0 + 3 + STALE_REPORT_MS);
    expect(core.takeNamingNews()).toEqual([id]);
    const now = T0 + 3 + STALE_REPORT_MS;
    expect(core.podsNow(id, now)[0]).toMatchObject({ state: "lost", healthy: false });
    expect(core.viewJob(core.jobs.get(id)!, now)).toMatchObject({ status: "degraded", healthy: 0, running: 0 });
    expect(servicesOf(core.jobs.get(id)!.spec, core.podsNow(id, now))[0]!.status).toBe("down");
    // it reports again: named again, running and healthy
    core.fetchTask(report(`${id}.0`, "a:1", { state: "running", version: 1, tasks: [task()] }), now + 1);
    expect(core.takeNamingNews()).toEqual([id]);
    expect(core.viewJob(core.jobs.get(id)!, now + 1)).toMatchObject({ status: "running", healthy: 1, running: 1 });
  });
});
