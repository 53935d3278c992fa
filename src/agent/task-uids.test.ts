import { describe, expect, test } from "bun:test";
import { agentUidRange, allocateUid, parseUidRange } from "./task-uids.ts";

describe("task uids", () => {
  test("a range is FIRST-LAST above 0", () => {
    expect(parseUidRange("100000-165535")).toEqual({ min: 100000, max: 165535 });
    expect(parseUidRange(" 5 - 5 ")).toEqual({ min: 5, max: 5 });
    for (const bad of ["0-10", "10-5", "abc", "100000", "-1-5", "1-2147483647"]) {
      expect(() => parseUidRange(bad)).toThrow(`--task-uids ${JSON.stringify(bad)}: want FIRST-LAST`);
    }
  });

  test("the lowest free uid is given; a freed one is given again; none when all are held", () => {
    const r = { min: 100, max: 102 };
    expect(allocateUid(r, [])).toBe(100);
    expect(allocateUid(r, [100, undefined, 7])).toBe(101);
    expect(allocateUid(r, [100, 102])).toBe(101);
    expect(allocateUid(r, [100, 101, 102])).toBeNull();
  });

  test("agents of galaxy up (one port each) never share a uid", () => {
    expect(agentUidRange(20010)).toBe("21490240-21491263");
    expect(agentUidRange(20011)).toBe("21491264-21492287");
    expect(parseUidRange(agentUidRange(65535)).max).toBeLessThan(2 ** 31 - 1);
  });
});
