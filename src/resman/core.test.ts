import { describe, expect, test } from "bun:test";
import type { ContainerReport } from "../rpc/types.ts";
import { ResManCore } from "./core.ts";
import { cfg, cluster, G, group, hb, info, running } from "./test-fixtures.ts";

describe("ResManCore", () => {
  test("places a group and hands each agent its caps on the next heartbeat", () => {
    const core = cluster();
    core.createGroup(group("web", 2), 1);
    core.tick(2);
    const ra = core.heartbeat(hb("a", []), 3).reply;
    const rb = core.heartbeat(hb("b", []), 3).reply;
    expect(ra.capsChanged && rb.capsChanged).toBe(true);
    expect([...ra.caps, ...rb.caps].map((c) => c.containerId).sort()).toEqual(["web.0", "web.1"]);
    expect(ra.caps.concat(rb.caps).every((c) => c.ports[0]!.port >= 20000)).toBe(true);
    // an agent up to date gets no caps again
    const again = core.heartbeat(hb("a", [], 1, 1, ra.capsVersion), 4).reply;
    expect(again.capsChanged).toBe(false);
  });

  test("refuses an agent in an unknown pool unless auto-pool", () => {
    const core = cluster();
    expect(() => core.heartbeat({ ...hb("c", []), agent: { ...info("c"), pool: "gpu" } }, 5)).toThrow(/pool gpu does not exist/);
    const auto = new ResManCore({ ...cfg, autoPool: true }, 1, { agents: [], groups: [], pools: ["default"] }, 0);
    const { writes } = auto.heartbeat({ ...hb("c", []), agent: { ...info("c"), pool: "gpu" } }, 5);
    expect(writes.map((w) => w.table)).toEqual(["pools", "agents"]);
  });

  test("agent timeout: online containers stay (lost), offline ones go back to pending and move", () => {
    const core = cluster();
    core.createGroup(group("web", 1, "service"), 1);
    core.createGroup(group("job", 1, "batch"), 1);
    core.tick(2);
    const onA = core.placement.ofAgent("a").map((c) => c.id);
    const victim = onA.length ? "a" : "b";
    const other = victim === "a" ? "b" : "a";
    // only `other` keeps heartbeating
    core.heartbeat(hb(other, []), 20_000);
    core.tick(20_001);
    for (const c of core.placement.containers.values()) {
      const type = core.groups.get(c.group)!.spec.jobType;
      if (type === "service" && c.agent === victim) expect(c.state).toBe("lost");
      if (type === "batch") expect(c.agent).toBe(other);
    }
  });

  test("failover: a new leader adopts what agents report and revokes nothing", () => {
    const core = cluster();
    core.createGroup(group("web", 2), 1);
    core.tick(2);
    const byAgent = new Map<string, ContainerReport[]>();
    for (const c of core.placement.containers.values()) byAgent.set(c.agent, [...(byAgent.get(c.agent) ?? []), running({ containerId: c.id, groupId: c.group, ports: c.ports })]);
    const before = [...core.placement.containers.values()].map((c) => [c.id, c.agent, c.ports[0]!.port]).sort();
    // the new leader loads hard state only: agents and groups, no placement
    const next = new ResManCore(cfg, 2, { agents: [...core.agents.values()], groups: [...core.groups.values()], pools: ["default"] }, 100);
    next.tick(101); // still recovering: schedules nothing
    expect(next.placement.pending.size).toBe(2);
    for (const [agent, reports] of byAgent) {
      const r = next.heartbeat(hb(agent, reports, 1, 1, 5), 102).reply;
      expect(r.caps.map((c) => c.containerId).sort()).toEqual(reports.map((x) => x.containerId).sort());
    }
    next.tick(103);
    expect(next.recovering).toBe(false);
    const after = [...next.placement.containers.values()].map((c) => [c.id, c.agent, c.ports[0]!.port]).sort();
    expect(after).toEqual(before);
  });

  test("an agent's container for a removed group is left out of its caps (destroyed)", () => {
    const core = cluster();
    core.createGroup(group("web", 1), 1);
    core.tick(2);
    const c = [...core.placement.containers.values()][0]!;
    core.removeGroup("web");
    const r = core.heartbeat(hb(c.agent, [running({ containerId: c.id, groupId: "web", ports: c.ports })], 1, 1, 1), 3).reply;
    expect(r.capsChanged).toBe(true);
    expect(r.caps).toEqual([]);
  });

  test("a heartbeat from an agent that saw a newer epoch is refused (this leader is deposed)", () => {
    const core = cluster();
    expect(() => core.heartbeat(hb("a", [], 7), 5)).toThrow(/epoch/);
  });

  test("pending containers carry the reasons they do not fit", () => {
    const core = cluster();
    core.createGroup({ ...group("big", 3), resources: { millicores: 1000, memory: 6 * G, disk: 0, ssd: 0 } }, 1);
    core.tick(2);
    expect(core.placement.pending.size).toBe(1);
    expect(core.groups.get("big")!.lastError).toBe("2 agents: no memory");
  });
});
