import { describe, expect, test } from "bun:test";
import { ConflictError, InvalidError } from "../core/errors.ts";
import type { JobState } from "../rpc/types.ts";
import { job, spec } from "./fixtures.ts";
import { canTransition, normalizeJob, transition, type JobRecord } from "./jobs.ts";
import { applyUpdateAction, classifyUpdate, scaleJob, startUpdate, type Classification, type UpdateAction } from "./rollout.ts";

const STATES: JobState[] = ["pending", "running", "updating", "update_paused", "destroying", "finished"];

describe("classifying an update", () => {
  const base = spec();
  test.each([
    ["package version", spec({ pkg: "2" }), "rebuild"],
    ["start command", spec({ start: "exec ./app/run2" }), "rebuild"],
    ["data packages", spec({ data: "7" }), "reload"],
    ["cpu", spec({ cpu: 200 }), "recreate"],
    ["cpu and package", spec({ cpu: 200, pkg: "2" }), "recreate"],
    ["replica only", spec({ replica: 5 }), "scale"],
    ["step only", spec({ step: 2 }), "policy"],
    ["nothing", spec(), "none"],
  ])("%s -> %s", (_what, next, kind) => {
    expect(classifyUpdate(base, next)).toBe(kind as Classification);
  });

  test("memory, io, ports, pools, labels, max_per_host and volumes recreate", () => {
    const variants = [
      (s: typeof base) => { s.pod.tasks[0]!.io = { weight: 0, readBps: 0, writeBps: 1024, readIops: 0, writeIops: 0 }; },
      (s: typeof base) => { s.pod.tasks[0]!.memory.size *= 2; },
      (s: typeof base) => { s.pod.tasks[0]!.ports = [{ name: "http", port: 8080 }]; },
      (s: typeof base) => { s.deploy.pools = ["gpu"]; },
      (s: typeof base) => { s.deploy.labels = ["ssd"]; },
      (s: typeof base) => { s.deploy.maxPerHost = 1; },
      (s: typeof base) => { s.pod.volumes = [{ path: "/d", size: 1, medium: "disk", exclusive: false, readonly: false, persistent: false, sticky: false, retention: 0 }]; },
    ];
    for (const change of variants) {
      const next = structuredClone(base);
      change(next);
      expect(classifyUpdate(base, next)).toBe("recreate");
    }
  });
});

describe("starting an update", () => {
  test("a rebuild bumps the version past every version given out and keeps the old description", () => {
    const j = { ...job(), version: 3, topVersion: 5 };
    const { job: u, kind } = startUpdate(j, spec({ pkg: "2" }), 2, 100);
    expect(kind).toBe("rebuild");
    expect(u).toMatchObject({ state: "updating", version: 6, topVersion: 6, updatedAt: 100 });
    expect(u.prevSpec).toBe(j.spec);
    expect(u.rollout).toEqual({ kind: "rebuild", fromVersion: 3, toVersion: 6, breakAt: 2, startedAt: 100, rollback: false, state: "active" });
  });

  test("update_break of the new description is the default break point", () => {
    expect(startUpdate(job(), spec({ pkg: "2", updateBreak: 3 }), 0, 1).job.rollout!.breakAt).toBe(3);
  });

  test("scale and policy changes take the description without a rollout", () => {
    const { job: u, kind } = startUpdate(job(), spec({ replica: 9 }), 0, 1);
    expect(kind).toBe("scale");
    expect(u).toMatchObject({ state: "running", version: 1, rollout: null });
    expect(u.spec.deploy.replica).toBe(9);
  });

  test("no change leaves the record as it is", () => {
    const j = job();
    expect(startUpdate(j, spec(), 0, 1).job).toBe(j);
  });

  test("refused: another name or type, an update already under way, a job on its way out", () => {
    expect(() => startUpdate(job(), { ...spec({ pkg: "2" }), name: "other" }, 0, 1)).toThrow(InvalidError);
    expect(() => startUpdate(job(), spec({ type: "batch" }), 0, 1)).toThrow("a job's type cannot change");
    for (const s of ["updating", "update_paused", "destroying", "finished"] as const) {
      expect(() => startUpdate(job({}, s), spec({ pkg: "2" }), 0, 1)).toThrow(ConflictError);
    }
    expect(() => startUpdate(job({}, "updating"), spec({ pkg: "2" }), 0, 1)).toThrow("continue, roll back or cancel that update first");
  });
});

describe("pause, continue, rollback, cancel from every state", () => {
  /** A job in `state`; the live update states carry a rollout from v1 to v2. */
  function inState(state: JobState): JobRecord {
    const u = startUpdate(job(), spec({ pkg: "2" }), 0, 0).job;
    if (state === "updating") return u;
    if (state === "update_paused") return { ...u, state };
    return { ...job(), state };
  }
  const expected: Record<UpdateAction, Partial<Record<JobState, JobState>>> = {
    pause: { updating: "update_paused" },
    continue: { update_paused: "updating" },
    cancel: { updating: "running", update_paused: "running" },
    rollback: { updating: "updating", update_paused: "updating" },
  };
  for (const action of ["pause", "continue", "rollback", "cancel"] as UpdateAction[]) {
    for (const state of STATES) {
      const to = expected[action][state];
      test(`${action} from ${state}: ${to ?? "refused"}`, () => {
        const j = inState(state);
        if (to) expect(applyUpdateAction(j, action, 0, 0, 5).state).toBe(to);
        else expect(() => applyUpdateAction(j, action, 0, 0, 5)).toThrow(ConflictError);
      });
    }
  }

  test("rollback after a finished update goes back to the previous description", () => {
    const done = { ...startUpdate(job(), spec({ pkg: "2" }), 0, 0).job, state: "running" as const };
    done.rollout = { ...done.rollout!, state: "done" };
    const back = applyUpdateAction(done, "rollback", 0, 3, 9);
    expect(back).toMatchObject({ state: "updating", version: 1, topVersion: 2 });
    expect(back.rollout).toMatchObject({ fromVersion: 2, toVersion: 1, rollback: true, state: "active" });
    // the version numbers keep growing for the next real update
    expect(startUpdate({ ...back, state: "running" }, spec({ pkg: "3" }), 0, 10).job.version).toBe(3);
  });

  test("error messages say why", () => {
    expect(() => applyUpdateAction(job(), "pause", 0, 0, 1)).toThrow("cannot pause the update of job web-1: it is running, not updating");
    expect(() => applyUpdateAction(inState("update_paused"), "pause", 0, 0, 1)).toThrow("it is already paused");
    expect(() => applyUpdateAction(inState("updating"), "continue", 0, 0, 1)).toThrow("it is not paused");
    expect(() => applyUpdateAction(job(), "rollback", 0, 0, 1)).toThrow("it was never updated");
  });

  test("continue --break N pauses again N pods later", () => {
    const j = applyUpdateAction(inState("update_paused"), "continue", 2, 3, 1);
    expect(j.rollout!.breakAt).toBe(5);
    expect(applyUpdateAction(inState("update_paused"), "continue", 0, 3, 1).rollout!.breakAt).toBe(0);
  });
});

describe("the job state machine", () => {
  const allowed: Record<JobState, JobState[]> = {
    pending: ["running", "updating", "destroying", "finished"],
    running: ["updating", "destroying", "finished"],
    updating: ["running", "update_paused", "destroying", "finished"],
    update_paused: ["updating", "running", "destroying", "finished"],
    destroying: [],
    finished: ["destroying"],
  };
  for (const from of STATES) {
    for (const to of STATES) {
      if (from === to) continue;
      const ok = allowed[from].includes(to);
      test(`${from} -> ${to}: ${ok ? "allowed" : "refused"}`, () => {
        expect(canTransition(from, to)).toBe(ok);
        const j = job({}, from);
        if (ok) expect(transition(j, to, 7)).toMatchObject({ state: to, updatedAt: 7 });
        else expect(() => transition(j, to, 7)).toThrow(`job web-1 is ${from}; it cannot become ${to}`);
      });
    }
  }

  test("destroying records when removal began", () => {
    expect(transition(job(), "destroying", 42).destroyingSince).toBe(42);
  });

  test("records of an older AppMaster get the newer fields", () => {
    const old = { id: "x", user: "u", spec: spec(), version: 4, state: "running" } as unknown as JobRecord;
    expect(normalizeJob(old)).toMatchObject({ version: 4, topVersion: 4, blacklist: [], moves: {}, rollout: null, step: null });
  });

  test("scale changes only the replica (of both descriptions)", () => {
    const u = startUpdate(job(), spec({ pkg: "2" }), 0, 0).job;
    const s = scaleJob(u, 7, 1);
    expect(s.spec.deploy.replica).toBe(7);
    expect(s.prevSpec!.deploy.replica).toBe(7);
    expect(s.version).toBe(u.version);
    expect(() => scaleJob(job({}, "finished"), 1, 1)).toThrow(ConflictError);
    expect(() => scaleJob(job(), -1, 1)).toThrow(InvalidError);
  });
});
