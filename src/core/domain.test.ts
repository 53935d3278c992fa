import { expect, test } from "bun:test";
import { IMPORTANCE, isJobType, JOB_TYPES, jobTypeOf } from "./domain.ts";

test("one list of job types, most important first, and their importance follows it", () => {
  expect([...JOB_TYPES]).toEqual(["monitor", "service", "batch", "best-effort"]);
  expect(JOB_TYPES.map((t) => IMPORTANCE[t])).toEqual([3, 2, 1, 0]);
  expect(isJobType("batch")).toBe(true);
  expect(isJobType("Batch")).toBe(false);
});

test("a wire job type converts once: empty is a service, an unknown word is a broken invariant", () => {
  expect(jobTypeOf("")).toBe("service");
  expect(jobTypeOf("best-effort")).toBe("best-effort");
  expect(() => jobTypeOf("cron")).toThrow('unknown job type "cron"');
});
