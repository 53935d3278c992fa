import { describe, expect, test } from "bun:test";
import { place } from "./place.ts";
import { agentWith, container, G, group, res } from "./test-fixtures.ts";

// Two full agents, each running one container of service web (2 cores) and one of batch crunch (2 cores).
const full = () => [0, 1].map((i) => agentWith(`a${i}`, [container(`web.${i}`, "service", res(2000, G)), container(`crunch.${i}`, "batch", res(2000, G))]));
const monitor = (n: number, cpu: number) => group("mon", n, { jobType: "monitor", resources: res(cpu, G) });

describe("preemption within the disruption budget of service victims", () => {
  test("a monitor takes no more service containers of a group in a pass than its budget allows", () => {
    const r = place(full(), [monitor(2, 4000)], { seed: 1, victimBudget: () => 1 });
    expect(r.placements).toHaveLength(1);
    expect(r.evictions.map((e) => e.groupId).sort()).toEqual(["crunch", "web"]); // one whole agent: its web and crunch
    expect(r.outcomes[0]!.unplaced).toHaveLength(1);
  });

  test("without a budget (or with room in it) both go", () => {
    expect(place(full(), [monitor(2, 4000)], { seed: 1 }).evictions.filter((e) => e.groupId === "web")).toHaveLength(2);
    expect(place(full(), [monitor(2, 4000)], { seed: 1, victimBudget: () => 2 }).evictions.filter((e) => e.groupId === "web")).toHaveLength(2);
  });

  test("a spent budget leaves the service alone; batch victims are still taken", () => {
    const r = place(full(), [monitor(2, 2000)], { seed: 1, victimBudget: () => 0 });
    expect(r.placements).toHaveLength(2);
    expect(r.evictions.map((e) => e.groupId)).toEqual(["crunch", "crunch"]);
    const none = place(full(), [monitor(1, 4000)], { seed: 1, victimBudget: () => 0 });
    expect(none.placements).toHaveLength(0);
    expect(none.evictions).toEqual([]);
  });

  test("the budget is asked once per group and pass, then counted down", () => {
    const asked: string[] = [];
    place(full(), [monitor(2, 4000)], { seed: 1, victimBudget: (g) => (asked.push(g), 1) });
    expect(asked).toEqual(["web"]);
  });
});
