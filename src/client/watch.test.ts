import { describe, expect, test } from "bun:test";
import type { Job, Pod } from "../rpc/types.ts";
import { countsLine, judge } from "./watch.ts";

const job = (over: Partial<Job> = {}) => ({ id: "web-1", jobType: "service", replica: 3, state: "running", failed: 0, message: "", update: { state: "", kind: "" }, ...over }) as unknown as Job;
const pod = (id: string, state: string, lastError = "") => ({ id, state, lastError }) as Pod;

describe("watch", () => {
  test("deploy: done when every pod runs; failed pods and failed batch jobs end it with the reason", () => {
    expect(judge("deploy", job(), [pod("a", "running"), pod("b", "deploying"), pod("c", "pending")])).toBeNull();
    expect(judge("deploy", job(), ["a", "b", "c"].map((i) => pod(i, "running")))).toEqual({ ok: true, reason: "all pods running" });
    expect(judge("deploy", job(), [pod("web-1.0", "failed", "exited 3; gave up after 2 restarts")])).toEqual({ ok: false, reason: "pod web-1.0 failed: exited 3; gave up after 2 restarts" });
    expect(judge("deploy", job({ jobType: "batch", state: "finished", failed: 2 }), [])).toEqual({ ok: false, reason: "2 pods failed" });
    expect(judge("deploy", job({ jobType: "batch" }), [pod("a", "running")])).toBeNull();
  });

  test("update: ends when no longer updating; a pause on a failure is a failure", () => {
    expect(judge("update", job({ state: "updating" }), [])).toBeNull();
    expect(judge("update", job({ state: "update_paused", message: "paused: pod web-1.2 failed on version 2" }), [])!.ok).toBe(false);
    expect(judge("update", job({ state: "update_paused", message: "paused at the break point" }), [])!.ok).toBe(true);
    expect(judge("update", job({ state: "running" }), [])).toEqual({ ok: true, reason: "update done" });
  });

  test("counts per state, most advanced first", () => {
    expect(countsLine(job(), [pod("a", "running"), pod("b", "deploying"), pod("c", "pending")])).toBe("1/3 running, 1 deploying, 1 pending");
    expect(countsLine(job(), [])).toBe("0/3 placed");
    expect(countsLine(job(), [pod("a", "pending"), pod("b", "pending")])).toBe("0/3 running, 2 pending");
  });
});
