import { expect, test } from "bun:test";
import type { CgroupDriver, CgroupUsage } from "./cgroup/driver.ts";
import { HostMeter, millicoresOf, parseMeminfo, parseProcStatCpu, UsageMeter } from "./usage.ts";

test("millicores from a cpu-time delta over wall time", () => {
  expect(millicoresOf(2_000_000, 2000)).toBe(1000); // 2 s of cpu in 2 s: one core
  expect(millicoresOf(400_000, 2000)).toBe(200);
  expect([millicoresOf(-5, 1000), millicoresOf(5, 0)]).toEqual([0, 0]);
});

test("a container's rates come from its previous sample; memory and OOM count as read", () => {
  let u: CgroupUsage = { cpuUsageUsec: 1_000_000, memoryRss: 10, memoryCache: 20, memoryLimit: 64, oomKills: 0, pids: 1 };
  const driver = { usage: () => u, pids: () => [] } as unknown as CgroupDriver;
  const m = new UsageMeter();
  expect(m.sample("c", driver, "g", 1000).usage.millicores).toBe(0);
  u = { ...u, cpuUsageUsec: 1_500_000, oomKills: 2 };
  const s = m.sample("c", driver, "g", 3000, 4096);
  expect(s).toMatchObject({ usage: { millicores: 250, memoryRss: 10, memoryCache: 20, disk: 4096, at: 3000 }, oomKills: 2, memoryLimit: 64 });
  expect(m.latest("c", 0)).toBe(s);
  m.forget("c");
  expect(m.latest("c", 5).usage).toEqual({ millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 5 });
});

test("/proc/stat and /proc/meminfo", () => {
  expect(parseProcStatCpu("cpu  100 5 50 800 20 0 5 0 0 0\ncpu0 1 2 3\n")).toEqual({ total: 980, idle: 820 });
  expect(parseMeminfo("MemTotal: 1000 kB\nMemFree: 10 kB\nMemAvailable: 600 kB\nBuffers: 5 kB\nCached: 100 kB\n")).toEqual({
    total: 1024_000, available: 614_400, cache: 107_520,
  });
});

test("the host meter reads this machine", () => {
  const h = new HostMeter();
  h.sample();
  const s = h.sample();
  expect(s.cores).toBeGreaterThanOrEqual(1000);
  expect(s.busy + s.idle).toBe(s.cores);
  expect(s.memory.total).toBeGreaterThan(s.memory.available);
});
