// Usage profiles: a profiled container fits when the curves sum within the agent at every point, not the peaks.
import { describe, expect, test } from "bun:test";
import { checkFeasible } from "./checks.ts";
import { prepare } from "./demand.ts";
import { place } from "./place.ts";
import { fitsAtEveryPoint, peakOf, withProfile } from "./profile.ts";
import { agent, G, group, res } from "./test-fixtures.ts";
import type { SchedProfile } from "./types.ts";
import { WorkingAgent } from "./working-agent.ts";

const curve = (...v: number[]) => Float64Array.from(v);
const prof = (cpu: number[], memGiB: number[]): SchedProfile => ({ cpu: curve(...cpu), memory: curve(...memGiB.map((m) => m * G)) });
/** A group whose request is its profile's peaks. */
const profiled = (id: string, n: number, p: SchedProfile) =>
  group(id, n, { resources: res(peakOf(p.cpu), peakOf(p.memory)), profile: p });

describe("usage profiles", () => {
  test("fitsAtEveryPoint: flat + sums + curve within the total at every point", () => {
    expect(fitsAtEveryPoint(1000, curve(1000, 3000), curve(2000, 0), 4000)).toBe(true);
    expect(fitsAtEveryPoint(1000, curve(1000, 3000), curve(2000, 1), 4000)).toBe(false);
    expect(fitsAtEveryPoint(0, undefined, curve(4000, 4000), 4000)).toBe(true);
    expect(fitsAtEveryPoint(1, undefined, curve(4000, 0), 4000)).toBe(false);
  });

  test("withProfile copies a shared profile and adds to its own", () => {
    const base = { cpu: curve(1, 2), memory: curve(3, 4), peakCpu: 2, peakMemory: 4 };
    const copy = withProfile(base, { cpu: curve(10, 10), memory: curve(1, 1) }, 10, 1, false);
    expect([...copy.cpu, ...copy.memory, copy.peakCpu, copy.peakMemory]).toEqual([11, 12, 4, 5, 12, 5]);
    expect([...base.cpu]).toEqual([1, 2]);
    const again = withProfile(copy, { cpu: curve(1, 1), memory: curve(0, 0) }, 1, 0, true);
    expect(again).toBe(copy);
    expect([...copy.cpu]).toEqual([12, 13]);
  });

  test("two curves that peak at different points share an agent their peaks would not", () => {
    const day = prof([3000, 1000], [1, 1]);
    const night = prof([1000, 3000], [1, 1]);
    const r = place([agent("a")], [profiled("day", 1, day), profiled("night", 1, night)], { seed: 1 });
    expect(r.placements.map((p) => p.agent)).toEqual(["a", "a"]);
    // without profiles the peaks (3 + 3 cores) do not fit in 4
    const peaks = place([agent("a")], [group("day", 1, { resources: res(3000, G) }), group("night", 1, { resources: res(3000, G) })], { seed: 1 });
    expect(peaks.placements).toHaveLength(1);
  });

  test("a point over the total rejects, for cpu and for memory; containers without a profile count at their peak", () => {
    const a = new WorkingAgent(agent("a", { assigned: res(1000, G) })); // 1 core, 1G without a profile
    expect(checkFeasible(prepare(profiled("x", 1, prof([3000, 1000], [1, 1]))), a)).toBeNull();
    expect(checkFeasible(prepare(profiled("x", 1, prof([1000, 3001], [1, 1]))), a)).toBe("no cpu");
    expect(checkFeasible(prepare(profiled("x", 1, prof([1000, 1000], [7, 1]))), a)).toBeNull();
    expect(checkFeasible(prepare(profiled("x", 1, prof([1000, 1000], [1, 7.5]))), a)).toBe("no memory");
  });

  test("evicting a profiled container takes its curves off; restoring puts them back", () => {
    const p = prof([3000, 0], [1, 1]);
    const c = { id: "old.0", groupId: "old", jobType: "batch" as const, charged: res(3000, G), ports: [], devices: [], profile: p };
    const base = agent("a", { assigned: res(3000, G), profile: { cpu: curve(3000, 0), memory: curve(G, G), peakCpu: 3000, peakMemory: G }, containers: [c] });
    const a = new WorkingAgent(base);
    const d = prepare(profiled("x", 1, prof([2000, 0], [1, 1])));
    expect(checkFeasible(d, a)).toBe("no cpu");
    a.evict(c, true);
    expect(checkFeasible(d, a)).toBeNull();
    a.restore(c, true);
    expect(checkFeasible(d, a)).toBe("no cpu");
    expect([...base.profile!.cpu]).toEqual([3000, 0]); // the caller's data untouched
  });

  test("an evicted container's curve no longer counts, and no longer frees its peak elsewhere", () => {
    // day [3, 0] and night [0, 3] share a 4-core agent; evict day: night still holds 3 cores at point 1
    const mk = (id: string, p: SchedProfile) => ({ id, groupId: id.split(".")[0]!, jobType: "batch" as const, charged: res(3000, G), ports: [], devices: [], profile: p });
    const day = mk("day.0", prof([3000, 0], [1, 1]));
    const night = mk("night.0", prof([0, 3000], [1, 1]));
    const a = new WorkingAgent(agent("a", {
      assigned: res(6000, 2 * G), profile: { cpu: curve(3000, 3000), memory: curve(2 * G, 2 * G), peakCpu: 6000, peakMemory: 2 * G }, containers: [day, night],
    }));
    a.evict(day, true);
    expect(checkFeasible(prepare(profiled("x", 1, prof([0, 2000], [1, 1]))), a)).toBe("no cpu");
    expect(checkFeasible(prepare(profiled("x", 1, prof([4000, 1000], [1, 1]))), a)).toBeNull();
  });

  test("placed curves add up on the agent: a third container sees the sums", () => {
    const p = prof([2000, 0], [1, 1]);
    const r = place([agent("a")], [profiled("x", 3, p)], { seed: 1 });
    expect(r.placements).toHaveLength(2);
    expect(r.outcomes[0]!.reasons).toEqual({ "no cpu": 1 });
  });
});
