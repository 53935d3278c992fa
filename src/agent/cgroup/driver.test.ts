import { describe, expect, test } from "bun:test";
import {
  cpuQuotaUs,
  cpuShares,
  cpuWeight,
  limitOrZero,
  memoryLimits,
  parseKeyValues,
  planV1,
  planV2,
  validateLimits,
  validateName,
} from "./driver.ts";
import { killUntilEmpty, parseProcStat } from "./proc.ts";

const MiB = 1 << 20;
const base = { millicores: 1500, cpuExcess: false, memory: 256 * MiB, memoryExcess: false };

describe("limit arithmetic", () => {
  test("cpu: quota = millicores * 100 (>= 1 ms), shares 1024 per core, weight 100 per core", () => {
    expect(cpuQuotaUs(1500)).toBe(150_000);
    expect(cpuQuotaUs(5)).toBe(1_000);
    expect([cpuShares(1000), cpuShares(250), cpuShares(1)]).toEqual([1024, 256, 2]);
    expect([cpuWeight(1000), cpuWeight(1), cpuWeight(10_000_000)]).toEqual([100, 1, 10_000]);
  });

  test("memory: hard only, or soft + ceiling (default 2x) when excess", () => {
    expect(memoryLimits(base)).toEqual({ hard: 256 * MiB, soft: null });
    expect(memoryLimits({ ...base, memoryExcess: true })).toEqual({ hard: 512 * MiB, soft: 256 * MiB });
    expect(memoryLimits({ ...base, memoryExcess: true, memoryCeiling: 300 * MiB })).toEqual({ hard: 300 * MiB, soft: 256 * MiB });
  });

  test("v1 plan: period before quota; -1 when excess; pids default 4096; blkio only when asked", () => {
    const files = (l: Parameters<typeof planV1>[0]) => Object.fromEntries(planV1(l).map((w) => [w.file, w.value]));
    expect(planV1(base).map((w) => w.file).slice(0, 2)).toEqual(["cpu.cfs_period_us", "cpu.cfs_quota_us"]);
    expect(files(base)).toEqual({
      "cpu.cfs_period_us": "100000",
      "cpu.cfs_quota_us": "150000",
      "cpu.shares": "1536",
      "memory.limit_in_bytes": String(256 * MiB),
      "memory.soft_limit_in_bytes": "-1",
      "pids.max": "4096",
    });
    const excess = files({ ...base, cpuExcess: true, memoryExcess: true, pids: 10, ioWeight: 5000 });
    expect(excess["cpu.cfs_quota_us"]).toBe("-1");
    expect(excess["memory.soft_limit_in_bytes"]).toBe(String(256 * MiB));
    expect(excess["memory.limit_in_bytes"]).toBe(String(512 * MiB));
    expect([excess["pids.max"], excess["blkio.weight"]]).toEqual(["10", "1000"]);
  });

  test("v2 plan: cpu.max quota/period or max, memory.high only when excess, io.weight", () => {
    const files = (l: Parameters<typeof planV2>[0]) => Object.fromEntries(planV2(l).map((w) => [w.file, w.value]));
    expect(files(base)).toEqual({
      "cpu.max": "150000 100000",
      "cpu.weight": "150",
      "memory.max": String(256 * MiB),
      "memory.high": "max",
      "pids.max": "4096",
    });
    const excess = files({ ...base, cpuExcess: true, memoryExcess: true, ioWeight: 200 });
    expect([excess["cpu.max"], excess["memory.high"], excess["io.weight"]]).toEqual(["max 100000", String(256 * MiB), "default 200"]);
  });

  test("io throttles: v1 one write per device and nonzero field; v2 one io.max line per device, max for the rest", () => {
    const ioThrottle = { devices: ["254:0", "7:3"], readBps: 0, writeBps: 1048576, readIops: 0, writeIops: 50 };
    const v1 = planV1({ ...base, ioThrottle }).filter((w) => w.controller === "blkio");
    expect(v1.map((w) => `${w.file} ${w.value}`)).toEqual([
      "blkio.throttle.write_bps_device 254:0 1048576", "blkio.throttle.write_iops_device 254:0 50",
      "blkio.throttle.write_bps_device 7:3 1048576", "blkio.throttle.write_iops_device 7:3 50",
    ]);
    const v2 = planV2({ ...base, ioThrottle }).filter((w) => w.file === "io.max").map((w) => w.value);
    expect(v2).toEqual(["254:0 rbps=max wbps=1048576 riops=max wiops=50", "7:3 rbps=max wbps=1048576 riops=max wiops=50"]);
    expect(planV1({ ...base, ioThrottle: { ...ioThrottle, writeBps: 0, writeIops: 0 } }).some((w) => w.controller === "blkio")).toBe(false);
    expect(planV2({ ...base, ioThrottle: { ...ioThrottle, writeBps: 0, writeIops: 0 } }).some((w) => w.file === "io.max")).toBe(false);
  });

  test("excess with a ceiling from the soft-limit controller: quota = ceiling, shares/weight still from millicores", () => {
    const l = { ...base, cpuExcess: true, cpuCeiling: 2500 };
    const v1 = Object.fromEntries(planV1(l).map((w) => [w.file, w.value]));
    const v2 = Object.fromEntries(planV2(l).map((w) => [w.file, w.value]));
    expect([v1["cpu.cfs_quota_us"], v1["cpu.shares"]]).toEqual(["250000", "1536"]);
    expect([v2["cpu.max"], v2["cpu.weight"]]).toEqual(["250000 100000", "150"]);
    expect(() => validateLimits({ ...l, cpuCeiling: 0 })).toThrow(/cpuCeiling/);
  });

  test("validation rejects names that escape and nonsense limits", () => {
    for (const bad of ["", "/abs", "a/../b", "a//b", "a/", ".", "..", "x/./y"]) expect(() => validateName(bad)).toThrow(/bad cgroup name/);
    expect(validateName("galaxy/agent-1/web.0")).toBe("galaxy/agent-1/web.0");
    expect(() => validateLimits({ ...base, millicores: 0 })).toThrow(/millicores/);
    expect(() => validateLimits({ ...base, memory: 1.5 })).toThrow(/memory/);
    expect(() => validateLimits({ ...base, memoryCeiling: MiB })).toThrow(/below memory/);
    expect(() => validateLimits({ ...base, pids: Number.NaN })).toThrow(/pids/);
  });
});

describe("kernel file parsing", () => {
  test("key value files and unlimited spellings", () => {
    const kv = parseKeyValues("cache 4096\nrss 8192\ntotal_rss 12288\nnoise\nfrozen 1\n");
    expect([kv.get("rss"), kv.get("total_rss"), kv.get("frozen"), kv.has("noise")]).toEqual([8192, 12288, 1, false]);
    expect([limitOrZero("max\n"), limitOrZero("9223372036854771712\n"), limitOrZero("-1"), limitOrZero("67108864\n")]).toEqual([
      0, 0, 0, 67108864,
    ]);
  });

  test("/proc/<pid>/stat with a command holding spaces and parentheses", () => {
    const st = parseProcStat("4242 (we ird) (x) S 1 4240 4240 0 -1 4194560 10 0 0 0 7 3 0 0 20 0 1 0 100 0 0");
    expect(st).toEqual({ pid: 4242, state: "S", ppid: 1, pgid: 4240, utimeTicks: 7, stimeTicks: 3 });
  });
});

describe("killUntilEmpty", () => {
  test("runs rounds until nothing is alive", async () => {
    let alive = [10, 11];
    let rounds = 0;
    await killUntilEmpty("t", () => alive, async () => void (rounds++, (alive = [])), 1_000);
    expect(rounds).toBe(1);
  });

  test("throws at the deadline, naming the survivors", async () => {
    await expect(killUntilEmpty("kill cgroup x", () => [7], async () => {}, 30)).rejects.toThrow(/kill cgroup x: 1 process\(es\) still alive after 30 ms \(7\)/);
  });
});
