import { describe, expect, test } from "bun:test";
import { HintVersions } from "./hint-versions.ts";

const live = (...gs: string[]) => {
  const set = new Set(gs);
  return { set, v: new HintVersions((g) => set.has(g)) };
};

describe("HintVersions", () => {
  test("a touch bumps exactly its group, from one counter", () => {
    const { v } = live("a", "b");
    v.touch("a");
    v.touch("b");
    expect([v.of("a"), v.of("b"), v.version]).toEqual([1, 2, 2]);
    v.changedSince(0); // a reader saw version 2
    v.touch("a");
    expect([v.of("a"), v.of("b"), v.version]).toEqual([3, 2, 3]);
  });

  test("changedSince: only groups changed after it, each once, oldest change first", () => {
    const { v } = live("a", "b", "c");
    for (const g of ["a", "b", "c"]) v.touch(g);
    const seen = v.version;
    expect(v.changedSince(seen)).toEqual([]);
    v.touch("c");
    v.touch("a");
    v.touch("c"); // still covered by c's unread version
    expect(v.changedSince(seen)).toEqual(["c", "a"]);
    expect(v.changedSince(v.version)).toEqual([]);
  });

  test("a change no reader has seen yet needs no new version", () => {
    const { v } = live("a", "b");
    v.touch("a");
    v.touch("b");
    v.touch("a"); // nobody asked since a's version 1
    expect(v.version).toBe(2);
    v.changedSince(0);
    v.touch("a");
    expect(v.version).toBe(3);
  });

  test("a since it cannot answer (0, from the future, below the floor) asks for everything", () => {
    const { v } = live("a");
    v.touch("a");
    expect(v.changedSince(0)).toBeNull();
    expect(v.changedSince(v.version + 1)).toBeNull();
    expect(v.changedSince(v.version)).toEqual([]);
  });

  test("groups without containers are forgotten beyond the newest 1024; older sinces then get everything", () => {
    const { set, v } = live();
    for (let i = 0; i < 3000; i++) {
      v.changedSince(v.version); // a reader after every change: each touch is a new version
      v.touch(`g${i}`); // changed, never with containers: removed
    }
    set.add("keep");
    v.touch("keep");
    for (let i = 0; i < 8000; i++) v.touch("keep"), v.changedSince(v.version); // enough to compact the log
    expect(v.floor).toBeGreaterThan(1000);
    expect(v.changedSince(1)).toBeNull();
    const recent = v.changedSince(v.floor)!;
    expect(recent).toContain("keep");
    expect(v.of("g0")).toBe(0); // forgotten
    expect(v.of("g2999")).toBeGreaterThan(0); // among the newest removals: still answerable
  });

  test("usage-only changes become versions at a bounded rate (containers per second)", () => {
    const { v } = live("a", "b", "c");
    const size = () => 1000;
    for (const g of ["a", "b", "c"]) v.touch(g);
    v.changedSince(v.version);
    const before = v.version;
    v.refreshUsage(0, 10_000, size);
    for (const g of ["a", "b", "c"]) v.usageChanged(g);
    v.refreshUsage(50, 10_000, size); // 500 containers' worth: not one group yet
    expect(v.version).toBe(before);
    v.refreshUsage(250, 10_000, size); // 2,500: two groups
    expect(v.changedSince(before)).toEqual(["a", "b"]);
    v.touch("c"); // a real change sends c whole: its usage is no longer owed
    v.refreshUsage(10_000, 10_000, size);
    expect(v.changedSince(before)).toEqual(["a", "b", "c"]);
  });
});
