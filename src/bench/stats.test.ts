import { describe, expect, test } from "bun:test";
import { bucketPercentileMs, latencyBuckets } from "./procs.ts";
import { percentile, summarize } from "./stats.ts";
import { parseShape, roomFor, fleetAgent, violations } from "./workload.ts";

describe("bench helpers", () => {
  test("percentiles by nearest rank", () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([], 99)).toBe(0);
    expect(summarize([3, 1, 2])).toEqual({ count: 3, p50: 2, p99: 3, max: 3, mean: 2 });
  });

  test("shapes", () => {
    expect(parseShape("32/128G")).toEqual({ millicores: 32000, memory: 128 * 2 ** 30, disk: 0 });
    expect(parseShape("250m/1G/10G")).toEqual({ millicores: 250, memory: 2 ** 30, disk: 10 * 2 ** 30 });
    expect(parseShape("0.5/512M").millicores).toBe(500);
    expect(() => parseShape("32")).toThrow("CPU/MEMORY");
  });

  test("room and violations", () => {
    const a = fleetAgent("a:1", parseShape("4/8G"));
    const g = { id: "g", replica: 10, resources: { millicores: 1000, memory: 2 ** 30, disk: 0, ssd: 0 }, maxPerHost: 3, jobType: "service" as const };
    expect(roomFor(a, g)).toBe(3);
    a.assigned.millicores = 5000;
    a.groupCount.set("g", 4);
    expect(violations([a], new Map([["g", g]]))).toEqual([
      "a:1: millicores over-committed (5000 > 4000)",
      "a:1: 4 containers of g (max_per_host 3)",
    ]);
  });

  test("server-side percentiles from two /metrics scrapes", () => {
    const text = (n: [number, number, number]) => [
      `galaxy_rpc_duration_seconds_bucket{role="resman",method="ResMan/Heartbeat",le="0.001"} ${n[0]}`,
      `galaxy_rpc_duration_seconds_bucket{role="resman",method="ResMan/Heartbeat",le="0.01"} ${n[1]}`,
      `galaxy_rpc_duration_seconds_bucket{role="resman",method="ResMan/Heartbeat",le="+Inf"} ${n[2]}`,
      `galaxy_rpc_duration_seconds_bucket{role="resman",method="ResMan/Status",le="+Inf"} 7`,
    ].join("\n");
    const before = latencyBuckets(text([10, 10, 10]), "ResMan/Heartbeat");
    const after = latencyBuckets(text([100, 109, 110]), "ResMan/Heartbeat");
    expect(bucketPercentileMs(before, after, 50)).toBe(1);
    expect(bucketPercentileMs(before, after, 99)).toBe(10);
    expect(bucketPercentileMs(before, before, 99)).toBe(0);
  });
});
