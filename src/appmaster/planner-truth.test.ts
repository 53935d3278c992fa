// The planner's rules for pods whose truth comes from the agent: a container that failed (no worker ever reported),
// a container that never starts (deploy_timeout from its placement), a pod with nowhere left to try (batch ends),
// and readyAt (the first time the job ran whole).
import { describe, expect, test } from "bun:test";
import { job, OPTS, pod } from "./fixtures.ts";
import { failedForGood, nextDeadline, plan } from "./planner.ts";

describe("a container that failed or never started", () => {
  test("a pod whose container failed at creation is moved at once, its agent blacklisted, with the agent's reason", () => {
    const ps = [pod(0, { reported: false, state: "failed", version: 0, lastError: "placement failed: port 8080 (http) is already in use on this host", placedAt: 5 })];
    const r = plan(job({ replica: 1 }), ps, 10, OPTS);
    expect(r.moves).toEqual([expect.objectContaining({ pod: "web-1.0", agent: "a0:1", blacklist: true })]);
    expect(r.moves[0]!.reason).toBe("failed on a0:1: placement failed: port 8080 (http) is already in use on this host");
    expect(r.job.blacklist.map((b) => b.agent)).toEqual(["a0:1"]);
  });

  test("a placed pod whose worker never reports is moved once deploy_timeout passed since its placement, not before", () => {
    const j = job({ replica: 1, deployTimeout: "10s" });
    const ps = [pod(0, { reported: false, state: "deploying", version: 0, placedAt: 1_000 })];
    expect(plan(j, ps, 11_000, OPTS).moves).toEqual([]);
    expect(nextDeadline(j, ps, 11_000, OPTS)).toBe(11_001);
    const r = plan(j, ps, 11_001, OPTS);
    expect(r.moves).toEqual([expect.objectContaining({ pod: "web-1.0", agent: "a0:1", blacklist: true })]);
    expect(r.moves[0]!.reason).toBe("not started 10s1ms after its placement (deploy_timeout 10s) on a0:1");
    expect(r.job.moves["web-1.0"]).toEqual({ count: 1, agent: "a0:1" });
  });

  test("the placement clock leaves alone pods that report, are lost, or are not placed", () => {
    const j = job({ replica: 1, deployTimeout: "10s" });
    const late = 100_000;
    for (const p of [
      pod(0, { reported: true, state: "pending", version: 0, placedAt: 1 }), // waiting for its step: the step's clock
      pod(0, { reported: false, state: "deploying", version: 0, placedAt: 1, lostSince: late - 1 }), // lost: pod_lost_timeout
      pod(0, { reported: false, state: "pending", version: 0, agent: "", placedAt: 0 }),
    ]) {
      expect(plan(j, [p], late, OPTS).moves.filter((m) => m.reason.includes("after its placement"))).toEqual([]);
    }
  });
});

describe("failed for good", () => {
  test("failed with its moves used up, or unplaceable but on its blacklist after a failure", () => {
    const j = { ...job({ replica: 1 }), moves: { "web-1.0": { count: 2, agent: "" } } };
    expect(failedForGood(j, pod(0, { state: "failed" }), OPTS)).toBe(true);
    expect(failedForGood(j, pod(0, { state: "running" }), OPTS)).toBe(false);
    expect(failedForGood({ ...j, moves: { "web-1.0": { count: 1, agent: "" } } }, pod(0, { state: "failed" }), OPTS)).toBe(false);
    const blocked = pod(0, { agent: "", state: "pending", reported: false, blocked: true });
    expect(failedForGood(j, blocked, OPTS)).toBe(true);
    expect(failedForGood({ ...j, moves: {} }, blocked, OPTS)).toBe(false); // never failed: it waits
    expect(failedForGood(j, { ...blocked, blocked: false }, OPTS)).toBe(false); // waiting for room, not for its blacklist
  });

  test("a batch job whose only pod failed on every agent ends (0 ok, 1 failed)", () => {
    const j = { ...job({ type: "batch", replica: 1 }), moves: { "web-1.0": { count: 2, agent: "" } } };
    const blocked = [pod(0, { agent: "", state: "pending", reported: false, version: 0, blocked: true })];
    const r = plan(j, blocked, 5, OPTS);
    expect(r.job.state).toBe("finished");
    expect(r.job.result).toEqual({ succeeded: 0, failed: 1 });
    expect(plan(j, [{ ...blocked[0]!, blocked: false }], 5, OPTS).job.state).toBe("running");
  });
});

describe("giving up", () => {
  test("said once, with why: a pod failed with its moves used up, or with only blacklisted agents left", () => {
    const j = { ...job({ replica: 1 }), moves: { "web-1.0": { count: 2, agent: "" } } };
    const stuck = [pod(0, { agent: "c:1", state: "failed", lastError: "main: exited 3" })];
    const r = plan(j, stuck, 5, OPTS);
    expect(r.events).toEqual([{ pod: "web-1.0", kind: "failed", message: "the failure policy gave up: moved 2 times, it stays failed on c:1: main: exited 3" }]);
    expect(r.job.moves["web-1.0"]).toEqual({ count: 2, agent: "", gaveUp: true });
    expect(plan(r.job, stuck, 6, OPTS).events).toEqual([]);
    const blocked = [pod(0, { agent: "", state: "pending", reported: false, version: 0, blocked: true, lastError: "2 agents: blacklist (it failed: main: exited 3)" })];
    const b = plan({ ...j, moves: { "web-1.0": { count: 1, agent: "" } } }, blocked, 7, OPTS);
    expect(b.events.map((e) => e.message)).toEqual(["the failure policy gave up: no agent left to try but those on the job's blacklist: 2 agents: blacklist (it failed: main: exited 3)"]);
    expect(plan(j, [pod(0, { agent: "c:1", state: "running" })], 8, OPTS).events).toEqual([]);
  });
});

describe("readyAt", () => {
  test("set the first time replica pods run, then kept", () => {
    const j = job({ replica: 2 });
    expect(plan(j, [pod(0), pod(1, { state: "starting" })], 5, OPTS).job.readyAt).toBe(0);
    const r = plan(j, [pod(0), pod(1)], 7, OPTS);
    expect(r.job.readyAt).toBe(7);
    expect(plan(r.job, [pod(0), pod(1, { state: "failed" })], 9, OPTS).job.readyAt).toBe(7);
  });
});
