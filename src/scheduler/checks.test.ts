import { describe, expect, test } from "bun:test";
import {
  agentStateCheck, antiAffinityCheck, batchLimitCheck, blacklistCheck, chainChecks, checkFeasible, checkStatic, cpuCheck, diskCheck, exclusiveVolumesCheck,
  FEASIBILITY_CHECKS, formatReasons, labelsCheck, maxPerHostCheck, memoryCheck, poolCheck, portsCheck, ssdCheck,
  STATIC_CHECKS, type FeasibilityCheck,
} from "./checks.ts";
import { prepare, type Demand } from "./demand.ts";
import { agent, agentWith, container, G, group, res } from "./test-fixtures.ts";
import type { SchedAgent, SchedGroup } from "./types.ts";
import { WorkingAgent } from "./working-agent.ts";

interface Row {
  name: string;
  check: FeasibilityCheck;
  agent: SchedAgent;
  group: SchedGroup;
  want: string | null;
}

const disk = (path: string, size: number) => ({ medium: "disk", path, size });
const ssd = (path: string, size: number) => ({ medium: "ssd", path, size });
const vol = (path: string, size: number, medium: string, exclusive = true) => ({ path, size, medium, exclusive, readonly: false, persistent: false, sticky: false, retentionMs: 0 });

/** Anti-affinity: own rules (no holders), the reverse of another group's (holders), the new container counted. */
function antiAffinityRows(): Row[] {
  const on = (counts: [string, number][]) => agent("a", { groupCount: new Map(counts) });
  const rule = (counted: string[], maxPerHost: number, holders: string[] = []) => ({ antiAffinity: [{ holders, counted, maxPerHost }] });
  const row = (name: string, counts: [string, number][], r: ReturnType<typeof rule>, want: string | null): Row =>
    ({ name: `anti-affinity: ${name}`, check: antiAffinityCheck, agent: on(counts), group: group("g", 1, r), want });
  return [
    row("k = 0 and B is there", [["b", 1]], rule(["b"], 0), "anti-affinity"),
    row("k = 0 and B is not there", [["c", 3]], rule(["b"], 0), null),
    row("k = 1, one B there", [["b", 1]], rule(["b"], 1), null),
    row("k = 1, two B there", [["b", 2]], rule(["b"], 1), "anti-affinity"),
    row("B's groups are summed", [["b1", 1], ["b2", 1]], rule(["b1", "b2"], 1), "anti-affinity"),
    row("its own job counted: the new one adds 1", [["g", 1]], rule(["g"], 1), "anti-affinity"),
    row("its own job counted, room for one more", [["g", 1]], rule(["g"], 2), null),
    row("reverse: A there, one of us there, A allows 1", [["a", 1], ["g", 1]], rule(["g"], 1, ["a"]), "anti-affinity"),
    row("reverse: A there, none of us, A allows 1", [["a", 1]], rule(["g"], 1, ["a"]), null),
    row("reverse: A there and allows 0", [["a", 1]], rule(["g"], 0, ["a"]), "anti-affinity"),
    row("reverse: A not there, no limit", [["g", 5]], rule(["g"], 0, ["a"]), null),
  ];
}

const rows: Row[] = [
  { name: "alive agent", check: agentStateCheck, agent: agent("a"), group: group("g", 1), want: null },
  { name: "offline agent", check: agentStateCheck, agent: agent("a", { state: "offline" }), group: group("g", 1), want: "agent offline" },
  { name: "draining agent", check: agentStateCheck, agent: agent("a", { state: "draining" }), group: group("g", 1), want: "agent draining" },
  { name: "dead agent", check: agentStateCheck, agent: agent("a", { state: "dead" }), group: group("g", 1), want: "agent dead" },
  { name: "pool listed", check: poolCheck, agent: agent("a", { pool: "gpu" }), group: group("g", 1, { pools: ["default", "gpu"] }), want: null },
  { name: "pool not listed", check: poolCheck, agent: agent("a", { pool: "gpu" }), group: group("g", 1), want: "pool" },
  { name: "all labels present", check: labelsCheck, agent: agent("a", { labels: ["ssd", "gpu"] }), group: group("g", 1, { labels: ["gpu", "ssd"] }), want: null },
  { name: "one label missing", check: labelsCheck, agent: agent("a", { labels: ["ssd"] }), group: group("g", 1, { labels: ["ssd", "gpu"] }), want: "labels" },
  { name: "no labels required", check: labelsCheck, agent: agent("a"), group: group("g", 1), want: null },
  { name: "blacklisted", check: blacklistCheck, agent: agent("a"), group: group("g", 1, { blacklist: ["a"] }), want: "blacklist" },
  { name: "not blacklisted", check: blacklistCheck, agent: agent("a"), group: group("g", 1, { blacklist: ["b"] }), want: null },
  { name: "max_per_host reached", check: maxPerHostCheck, agent: agent("a", { groupCount: new Map([["g", 2]]) }), group: group("g", 1, { maxPerHost: 2 }), want: "max_per_host" },
  { name: "max_per_host below", check: maxPerHostCheck, agent: agent("a", { groupCount: new Map([["g", 1]]) }), group: group("g", 1, { maxPerHost: 2 }), want: null },
  { name: "max_per_host 0 is no limit", check: maxPerHostCheck, agent: agent("a", { groupCount: new Map([["g", 99]]) }), group: group("g", 1), want: null },
  ...antiAffinityRows(),
  { name: "batch cap reached", check: batchLimitCheck, agent: agent("a", { maxBatch: 2, batchCount: 2 }), group: group("g", 1, { jobType: "batch" }), want: "batch limit" },
  { name: "batch cap counts best-effort", check: batchLimitCheck, agent: agent("a", { maxBatch: 2, batchCount: 2 }), group: group("g", 1, { jobType: "best-effort" }), want: "batch limit" },
  { name: "batch cap ignores services", check: batchLimitCheck, agent: agent("a", { maxBatch: 2, batchCount: 2 }), group: group("g", 1), want: null },
  { name: "batch cap 0 is none", check: batchLimitCheck, agent: agent("a", { batchCount: 50 }), group: group("g", 1, { jobType: "batch" }), want: null },
  { name: "cpu fits exactly", check: cpuCheck, agent: agent("a", { assigned: res(3000, 0) }), group: group("g", 1), want: null },
  { name: "cpu short", check: cpuCheck, agent: agent("a", { assigned: res(3001, 0) }), group: group("g", 1), want: "no cpu" },
  { name: "memory short", check: memoryCheck, agent: agent("a", { assigned: res(0, 7.5 * G) }), group: group("g", 1), want: "no memory" },
  { name: "memory fits", check: memoryCheck, agent: agent("a", { assigned: res(0, 7 * G) }), group: group("g", 1), want: null },
  {
    name: "tmpfs counts as memory", check: memoryCheck, agent: agent("a", { assigned: res(0, 7 * G) }),
    group: group("g", 1, { resources: res(100, 1 * G + 512 * 1024 ** 2), volumes: [vol("/t", 512 * 1024 ** 2, "tmpfs", false)] }), want: "no memory",
  },
  {
    name: "best-effort uses idle cpu (deep)", check: cpuCheck, agent: agent("a", { assigned: res(4000, 0), idle: res(1500, 0) }),
    group: group("g", 1, { jobType: "best-effort" }), want: null,
  },
  {
    name: "no deep assignment under pressure", check: cpuCheck, agent: agent("a", { assigned: res(4000, 0), idle: res(1500, 0), pressure: true }),
    group: group("g", 1, { jobType: "best-effort" }), want: "no cpu",
  },
  {
    name: "batch never uses idle", check: memoryCheck, agent: agent("a", { assigned: res(0, 8 * G), idle: res(0, 4 * G) }),
    group: group("g", 1, { jobType: "batch" }), want: "no memory",
  },
  { name: "disk short", check: diskCheck, agent: agent("a", { assigned: res(0, 0, 99.5 * G) }), group: group("g", 1, { resources: res(1, 1, G) }), want: "no disk" },
  { name: "ssd short", check: ssdCheck, agent: agent("a"), group: group("g", 1, { resources: res(1, 1, 0, G) }), want: "no ssd" },
  { name: "ssd fits", check: ssdCheck, agent: agent("a", { total: res(4000, 8 * G, 0, 2 * G) }), group: group("g", 1, { resources: res(1, 1, 0, G) }), want: null },
  {
    name: "exclusive volume takes a device", check: exclusiveVolumesCheck,
    agent: agent("a", { total: res(4000, 8 * G, 600 * G), devices: [disk("/d1", 500 * G)] }),
    group: group("g", 1, { resources: res(1, 1, 10 * G), volumes: [vol("/data", 10 * G, "disk")] }), want: null,
  },
  {
    name: "exclusive device already taken", check: exclusiveVolumesCheck,
    agent: agent("a", { total: res(4000, 8 * G, 600 * G), devices: [disk("/d1", 500 * G)], takenDevices: new Set(["/d1"]) }),
    group: group("g", 1, { resources: res(1, 1, 10 * G), volumes: [vol("/data", 10 * G, "disk")] }), want: "no exclusive disk device",
  },
  {
    name: "exclusive device too small", check: exclusiveVolumesCheck,
    agent: agent("a", { total: res(4000, 8 * G, 0, 100 * G), devices: [ssd("/s1", 100 * G)] }),
    group: group("g", 1, { resources: res(1, 1, 0, 200 * G), volumes: [vol("/data", 200 * G, "ssd")] }), want: "no exclusive ssd device",
  },
  {
    name: "exclusive wrong medium", check: exclusiveVolumesCheck,
    agent: agent("a", { total: res(4000, 8 * G, 600 * G), devices: [disk("/d1", 500 * G)] }),
    group: group("g", 1, { resources: res(1, 1, 0, G), volumes: [vol("/data", G, "ssd")] }), want: "no exclusive ssd device",
  },
  {
    name: "two exclusive volumes need two devices", check: exclusiveVolumesCheck,
    agent: agent("a", { total: res(4000, 8 * G, 600 * G), devices: [disk("/d1", 500 * G)] }),
    group: group("g", 1, { resources: res(1, 1, 2 * G), volumes: [vol("/a", G, "disk"), vol("/b", G, "disk")] }), want: "no exclusive disk device",
  },
  {
    name: "a device's whole size must be free", check: exclusiveVolumesCheck,
    agent: agent("a", { total: res(4000, 8 * G, 600 * G), assigned: res(0, 0, 200 * G), devices: [disk("/d1", 500 * G)] }),
    group: group("g", 1, { resources: res(1, 1, 10 * G), volumes: [vol("/data", 10 * G, "disk")] }), want: "no disk",
  },
  { name: "fixed port free", check: portsCheck, agent: agent("a"), group: group("g", 1, { ports: [{ name: "h", port: 8080 }] }), want: null },
  { name: "fixed port taken", check: portsCheck, agent: agent("a", { usedPorts: new Set([8080]) }), group: group("g", 1, { ports: [{ name: "h", port: 8080 }] }), want: "ports" },
  {
    name: "dynamic range exhausted", check: portsCheck, agent: agent("a", { portMin: 100, portMax: 101, usedPorts: new Set([100]) }),
    group: group("g", 1, { ports: [{ name: "a", port: 0 }, { name: "b", port: 0 }] }), want: "ports",
  },
  {
    name: "dynamic range has room", check: portsCheck, agent: agent("a", { portMin: 100, portMax: 102, usedPorts: new Set([100]) }),
    group: group("g", 1, { ports: [{ name: "a", port: 0 }, { name: "b", port: 0 }] }), want: null,
  },
];

describe("feasibility checks", () => {
  for (const r of rows) {
    test(r.name, () => {
      expect(r.check(prepare(r.group), new WorkingAgent(r.agent))).toBe(r.want);
    });
  }

  test("the stack returns the first rejection in order", () => {
    const a = new WorkingAgent(agent("a", { state: "offline", pool: "x", assigned: res(4000, 8 * G) }));
    expect(checkFeasible(prepare(group("g", 1)), a)).toBe("agent offline");
    expect(FEASIBILITY_CHECKS.length).toBe(14);
  });

  test("checkFeasible and checkStatic, generated from FEASIBILITY_CHECKS and STATIC_CHECKS, answer as loops over them", () => {
    expect(chainChecks([])(prepare(group("g", 1)), new WorkingAgent(agent("a")))).toBeNull();
    const loop = (checks: readonly FeasibilityCheck[], d: Demand, a: WorkingAgent) => {
      for (const c of checks) {
        const r = c(d, a);
        if (r !== null) return r;
      }
      return null;
    };
    let rejected = 0;
    for (const r of rows) {
      const d = prepare(r.group);
      const a = new WorkingAgent(r.agent);
      expect(checkFeasible(d, a)).toBe(loop(FEASIBILITY_CHECKS, d, a));
      expect(checkStatic(d, a)).toBe(loop(STATIC_CHECKS, d, a));
      if (checkFeasible(d, a) !== null) rejected++;
    }
    expect(rejected).toBeGreaterThan(5); // the table rejects for many reasons
  });

  test("evicting a container frees its resources, ports and device", () => {
    const c = container("old.0", "batch", res(3000, 6 * G, 500 * G), { ports: [8080], devices: ["/d1"] });
    const a = new WorkingAgent(agentWith("a", [c], { total: res(4000, 8 * G, 500 * G), devices: [disk("/d1", 500 * G)] }));
    const d = prepare(group("g", 1, { resources: res(2000, 4 * G, G), ports: [{ name: "h", port: 8080 }], volumes: [vol("/v", G, "disk")] }));
    expect(checkFeasible(d, a)).toBe("no cpu");
    a.evict(c, true);
    expect(checkFeasible(d, a)).toBeNull();
    expect(a.batchCount).toBe(0);
    a.restore(c, true);
    expect(checkFeasible(d, a)).toBe("no cpu");
  });

  test("reasons format: most common first, then by name", () => {
    expect(formatReasons({ "no memory": 12, max_per_host: 3 })).toBe("12 agents: no memory, 3: max_per_host");
    expect(formatReasons({ pool: 1 })).toBe("1 agent: pool");
    expect(formatReasons({})).toBe("");
  });
});
