import { describe, expect, test } from "bun:test";
import { planGroup } from "./core-schedule.ts";
import { PROFILE_POINTS, profileOf } from "./profiles.ts";
import { cluster, group, where } from "./test-fixtures.ts";

// Two services of 3 cores each on one 4-core agent: by their peaks only one fits; by their day and night profiles
// (3 cores by day and 0.75 by night, and the reverse) both do: 3.75 cores at every point.
const day = { resources: { millicores: 3000, memory: 1024 ** 3, disk: 0, ssd: 0 }, profileCpu: [1, 0.25], profileMemory: [] };
const night = { ...day, profileCpu: [0.25, 1] };

describe("usage profiles on the wire (deploy.profile -> GroupSpec -> ResMan's scheduler)", () => {
  test("a profile is resampled to 96 points, never below what the job said", () => {
    const p = profileOf(group("x", 1, "service", { ...day, profileCpu: [0.5, 1, 0.25] }))!;
    expect(p.cpu.length).toBe(PROFILE_POINTS);
    expect(p.cpu[0]).toBe(1500);
    expect(p.cpu[32]).toBe(3000); // the 96-point bucket that overlaps the first and second thirds takes the higher
    expect(p.cpu[95]).toBe(750);
    expect(p.memory[0]).toBe(1024 ** 3); // no memory curve: the request at every point
    expect(profileOf(group("y", 1))).toBeUndefined();
  });

  test("complementary profiles share an agent their peaks would not fit on; without them the second waits", () => {
    const core = cluster(["a"]);
    core.createGroup(group("day", 1, "service", day), 1);
    core.createGroup(group("night", 1, "service", night), 1);
    core.tick(2);
    expect(where(core, "day")).toEqual({ "day.0": "a" });
    expect(where(core, "night")).toEqual({ "night.0": "a" });
    expect(core.placement.load("a").assigned.millicores).toBe(6000); // charged its request, as ever
    const flat = cluster(["a"]);
    flat.createGroup(group("day", 1, "service", { ...day, profileCpu: [] }), 1);
    flat.createGroup(group("night", 1, "service", { ...night, profileCpu: [] }), 1);
    flat.tick(2);
    expect(Object.values(where(flat, "day")).concat(Object.values(where(flat, "night"))).filter(Boolean).length).toBe(1);
  });

  test("a profiled container's curves leave with it; galaxy plan counts them", () => {
    const core = cluster(["a"]);
    core.createGroup(group("day", 1, "service", day), 1);
    core.createGroup(group("night", 1, "service", night), 1);
    core.tick(2);
    expect(planGroup(core, group("more-day", 1, "service", day)).fit).toBe(0); // 3 + 3 by day > 4
    core.removeGroup("day");
    core.tick(3);
    expect(core.placement.load("a").profile!.peakCpu).toBe(3000);
    expect(planGroup(core, group("more-day", 1, "service", day)).fit).toBe(1);
    core.removeGroup("night");
    core.tick(4);
    expect(core.placement.load("a").profile).toBeUndefined();
  });
});
