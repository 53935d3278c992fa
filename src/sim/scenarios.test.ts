// The 17 failure combinations of fuxi-scenarios.md, scripted on the deterministic simulation, plus seeded random
// interleavings. Each checks: online containers untouched (same agent, same incarnation, never a second copy),
// offline containers on an unreachable agent revoked and rescheduled, and convergence with no leak or double count.
import { describe, expect, test } from "bun:test";
import { onlineDisturbances, onlineNow, running, runStorm, strike, type Failure } from "./storms.ts";

const SCENARIOS: [number, Failure[]][] = [
  [1, ["rm-failover"]], [2, ["am-failover"]], [3, ["am-timeout"]], [4, ["agent-failover"]], [5, ["agent-timeout"]],
  [6, ["am-failover", "agent-failover"]], [7, ["am-failover", "agent-timeout"]], [8, ["am-timeout", "agent-failover"]],
  [9, ["am-timeout", "agent-timeout"]], [10, ["rm-failover", "am-failover"]], [11, ["rm-failover", "am-timeout"]],
  [12, ["rm-failover", "agent-failover"]], [13, ["rm-failover", "agent-timeout"]],
  [14, ["rm-failover", "am-failover", "agent-failover"]], [15, ["rm-failover", "am-failover", "agent-timeout"]],
  [16, ["rm-failover", "am-timeout", "agent-failover"]], [17, ["rm-failover", "am-timeout", "agent-timeout"]],
];

describe("Fuxi's 17 failure scenarios (simulated)", () => {
  for (const [n, failures] of SCENARIOS) {
    test(`${n}: ${failures.join(" + ")}`, () => {
      const { w, online } = running();
      const batchOnA1 = [...w.copies()].filter(([, on]) => on[0]!.jobType === "batch" && on[0]!.agent === "a1").map(([id]) => id);
      const t0 = w.now;
      let movedWhileCut = false;
      const check = () => (movedWhileCut ||= batchOnA1.length > 0 && batchOnA1.every((id) => w.copies().get(id)!.some((c) => c.agent !== "a1")));
      const orig = w.run.bind(w);
      w.run = (ms: number) => { const end = w.now + ms; while (w.now < end) { orig(100); check(); } };
      strike(w, failures);
      w.run = orig;
      // offline work on an unreachable agent is revoked and rescheduled while it is cut off
      if (failures.includes("agent-timeout")) expect(movedWhileCut).toBe(true);
      const ok = w.runUntil(() => w.converged() === null, 60_000);
      expect(w.converged()).toBeNull();
      expect(ok).toBe(true);
      expect(onlineDisturbances(w, t0)).toEqual([]);
      expect(onlineNow(w)).toEqual(online);
    });
  }
});

describe("random interleavings of failures (seeded)", () => {
  for (let seed = 1; seed <= 40; seed++) {
    test(`seed ${seed}: online untouched and convergence after every storm`, () => {
      expect(runStorm(seed).violation).toBeNull();
    });
  }
});
