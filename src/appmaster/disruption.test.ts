import { describe, expect, test } from "bun:test";
import { allowedMoves, type BudgetPod } from "./disruption.ts";

const pod = (i: number, over: Partial<BudgetPod> = {}): BudgetPod => ({
  id: `web.${i}`, healthy: true, move: "drain of a", moveBlocked: "", busy: false, ...over,
});

describe("disruption budget: which marked pods may start moving now", () => {
  test("step 1, all healthy: one pod at a time, by index", () => {
    expect(allowedMoves(1, [pod(2), pod(0), pod(1)])).toEqual({
      start: ["web.0"],
      wait: [
        { pod: "web.1", why: "0 of 3 pods not healthy and step is 1" },
        { pod: "web.2", why: "0 of 3 pods not healthy and step is 1" },
      ],
    });
  });

  test("a pod whose replacement is not healthy yet uses the budget: the next waits", () => {
    const d = allowedMoves(1, [pod(0, { move: "", healthy: false }), pod(1), pod(2)]);
    expect(d.start).toEqual([]);
    expect(d.wait.map((w) => w.why)).toEqual(["1 of 3 pods not healthy and step is 1", "1 of 3 pods not healthy and step is 1"]);
    expect(allowedMoves(1, [pod(0, { move: "" }), pod(1), pod(2)]).start).toEqual(["web.1"]);
  });

  test("step N moves up to N healthy pods, minus those already down", () => {
    expect(allowedMoves(2, [pod(0), pod(1), pod(2), pod(3)]).start).toEqual(["web.0", "web.1"]);
    expect(allowedMoves(3, [pod(0), pod(1), pod(2), pod(3, { move: "", healthy: false })]).start).toEqual(["web.0", "web.1"]);
    expect(allowedMoves(2, [pod(0), pod(1, { move: "", healthy: false }), pod(2, { move: "", healthy: false })]).start).toEqual([]);
  });

  test("a step of 0 counts as 1", () => {
    expect(allowedMoves(0, [pod(0), pod(1)]).start).toEqual(["web.0"]);
  });

  test("a marked pod that is down already moves at once, without using the budget", () => {
    expect(allowedMoves(1, [pod(0), pod(1, { healthy: false }), pod(2)]).start).toEqual(["web.1"]);
    expect(allowedMoves(2, [pod(0), pod(1, { healthy: false }), pod(2)]).start).toEqual(["web.0", "web.1"]);
  });

  test("no room for a replacement: it waits and says why; others may still go", () => {
    const d = allowedMoves(1, [pod(0, { moveBlocked: "2 agents: no cpu" }), pod(1)]);
    expect(d).toEqual({ start: ["web.1"], wait: [{ pod: "web.0", why: "no room for a replacement (2 agents: no cpu)" }] });
  });

  test("a pod under an operation waits (even one down); unmarked pods never move", () => {
    expect(allowedMoves(3, [pod(0, { busy: true, healthy: false }), pod(1, { move: "" })])).toEqual({
      start: [], wait: [{ pod: "web.0", why: "an operation is under way on it (recover, deploy or update)" }],
    });
  });

  test("never more than step pods down after the moves start (every history of 6 pods, steps 1-3)", () => {
    for (let step = 1; step <= 3; step++) {
      for (let mask = 0; mask < 3 ** 6; mask++) {
        // each pod: 0 healthy unmarked, 1 healthy marked, 2 down unmarked
        const pods = Array.from({ length: 6 }, (_, i) => {
          const k = Math.floor(mask / 3 ** i) % 3;
          return pod(i, { move: k === 1 ? "drain of a" : "", healthy: k !== 2 });
        });
        const d = allowedMoves(step, pods);
        const down = pods.filter((p) => !p.healthy || d.start.includes(p.id)).length;
        const before = pods.filter((p) => !p.healthy).length;
        expect(down).toBeLessThanOrEqual(Math.max(step, before));
        if (before < step) expect(d.start.length).toBe(Math.min(step - before, pods.filter((p) => p.move).length));
      }
    }
  });
});
