import { describe, expect, test } from "bun:test";
import { type HostFacts, chooseIsolation, createDriver, detectDriver, parseIsolationKind, parseMountInfo, v1Mounts } from "./detect.ts";

// This host's layout (v1 per controller + an empty cgroup2), and a systemd-style v1 with co-mounted controllers.
const HOST = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const SYSTEMD_V1 = `25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct
26 24 0:23 /docker/abc /sys/fs/cgroup/memory rw,nosuid shared:10 - cgroup cgroup rw,memory
27 24 0:24 / /mnt/my\\040cgroups rw - cgroup cgroup rw,freezer,clone_children
`;

describe("parseMountInfo", () => {
  test("finds v1 hierarchies with their controllers and the unified mount", () => {
    const m = parseMountInfo(HOST);
    expect(m.map((x) => [x.mountPoint, x.version, x.controllers.join(",")])).toEqual([
      ["/sys/fs/cgroup/cpu", 1, "cpu"],
      ["/sys/fs/cgroup/cpuacct", 1, "cpuacct"],
      ["/sys/fs/cgroup/memory", 1, "memory"],
      ["/sys/fs/cgroup/freezer", 1, "freezer"],
      ["/sys/fs/cgroup/pids", 1, "pids"],
      ["/sys/fs/cgroup/systemd", 1, ""],
      ["/sys/fs/cgroup/unified", 2, ""],
    ]);
  });

  test("co-mounted controllers share a hierarchy; roots and escaped spaces are kept", () => {
    const m = parseMountInfo(SYSTEMD_V1);
    expect(m[1]!.root).toBe("/docker/abc");
    expect(m[2]!.mountPoint).toBe("/mnt/my cgroups");
    expect([...v1Mounts(m)]).toEqual([
      ["cpu", "/sys/fs/cgroup/cpu,cpuacct"],
      ["cpuacct", "/sys/fs/cgroup/cpu,cpuacct"],
      ["memory", "/sys/fs/cgroup/memory"],
      ["freezer", "/mnt/my cgroups"],
    ]);
    expect(createDriver("cgroup-v1", { mounts: m }).describe()).toBe("cgroup v1 (cpu, cpuacct, memory, freezer)");
  });
});

describe("chooseIsolation", () => {
  const v1All = { cpu: true, cpuacct: true, memory: true, freezer: true, pids: true };
  const facts = (over: Partial<HostFacts> = {}): HostFacts => ({
    isRoot: true,
    v2: { root: "/sys/fs/cgroup/unified", controllers: ["hugetlb"], writable: true },
    v1: v1All,
    ...over,
  });
  const fullV2 = { root: "/sys/fs/cgroup", controllers: ["cpu", "memory", "pids", "io"], writable: true };

  test("this host: v2 lacks cpu and memory, so v1", () => {
    expect(chooseIsolation(facts())).toEqual({ kind: "cgroup-v1", reason: "detected" });
  });

  test("a usable v2 wins over v1 unless v1 is preferred", () => {
    expect(chooseIsolation(facts({ v2: fullV2 })).kind).toBe("cgroup-v2");
    expect(chooseIsolation(facts({ v2: fullV2 }), { prefer: "cgroup-v1" }).kind).toBe("cgroup-v1");
    expect(chooseIsolation(facts({ v2: fullV2, v1: {} }), { prefer: "cgroup-v1" }).kind).toBe("cgroup-v2");
  });

  test("none, with every reason, when nothing is usable", () => {
    expect(chooseIsolation(facts({ isRoot: false }))).toEqual({ kind: "none", reason: "not root" });
    expect(chooseIsolation(facts({ v1: { cpu: true, cpuacct: true, memory: true, pids: true } }))).toEqual({
      kind: "none",
      reason: "cgroup2 at /sys/fs/cgroup/unified lacks cpu, memory; cgroup v1 lacks freezer",
    });
    expect(chooseIsolation(facts({ v2: null, v1: { ...v1All, pids: false } })).reason).toBe("no cgroup2 mount; cgroup v1 pids not writable");
    expect(chooseIsolation(facts(), { prefer: "none" }).kind).toBe("none");
  });

  test("GALAXY_ISOLATION forces a kind; a bad value is an InvalidError", () => {
    expect(chooseIsolation(facts({ isRoot: false }), { forced: "cgroup-v2" })).toEqual({ kind: "cgroup-v2", reason: "forced by GALAXY_ISOLATION" });
    expect(() => parseIsolationKind("v3")).toThrow(/GALAXY_ISOLATION="v3": want one of cgroup-v1, cgroup-v2, none/);
  });
});

describe("detectDriver on this host", () => {
  test("env override and a plain detection", () => {
    expect(detectDriver({ env: { GALAXY_ISOLATION: "none" } }).describe()).toBe("isolation: none (forced by GALAXY_ISOLATION)");
    const d = detectDriver({ env: {} });
    expect(["cgroup-v1", "cgroup-v2", "none"]).toContain(d.kind);
    if (process.getuid?.() !== 0) expect(d.describe()).toBe("isolation: none (not root)");
  });
});
