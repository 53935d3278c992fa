// The load score's target reaches the scheduler from ResMan's config: the cluster's default, then the agent's pool's.
import { describe, expect, test } from "bun:test";
import { cluster, group } from "./test-fixtures.ts";

const perAgent = (core: ReturnType<typeof cluster>) =>
  [...core.agents.keys()].sort().map((a) => core.placement.ofAgent(a).length);

function placeFour(over: Parameters<typeof cluster>[1]): number[] {
  const core = cluster(["a", "b"], over); // 4 cores each
  core.createGroup(group("web", 4, "service", { score: "load", spread: false, ports: [] }), 1);
  core.tick(2);
  return perAgent(core).sort();
}

describe("load target", () => {
  test("default 0.5: an agent takes 2 of 4 cores, then a second agent opens", () => {
    expect(placeFour({})).toEqual([2, 2]);
  });

  test("the cluster's target, and a pool's own, replace it", () => {
    expect(placeFour({ loadTarget: 1 })).toEqual([0, 4]);
    expect(placeFour({ loadTarget: 0.5, poolLoadTargets: { default: 1 } })).toEqual([0, 4]);
    expect(placeFour({ loadTarget: 1, poolLoadTargets: { other: 0.5 } })).toEqual([0, 4]);
  });
});
