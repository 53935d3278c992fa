import { describe, expect, test } from "bun:test";
import { ResManCore } from "./core.ts";
import { forcePreempt, planGroup } from "./core-schedule.ts";
import { cfg, cluster, G, group, hb, reportAll, running } from "./test-fixtures.ts";
import { containerInfo } from "./views.ts";

const full = { resources: { millicores: 2000, memory: G, disk: 0, ssd: 0 }, spread: false };

describe("scheduling through the core", () => {
  test("a service preempts batch on a full cluster; the victims wait as preempted and are not adopted back", () => {
    const core = cluster(["a", "b"]);
    core.createGroup(group("job", 4, "batch", full), 1);
    core.tick(2);
    reportAll(core, 3);
    const had = ["a", "b"].map((a) => [a, core.placement.ofAgent(a).map((c) => c.id)] as const);
    core.createGroup(group("web", 2, "service", full), 4);
    core.tick(5);
    const victims = core.placement.ofGroup("job").filter((c) => !c.agent);
    expect(victims).toHaveLength(2);
    for (const v of victims) {
      expect(v.state).toBe("preempted");
      expect(v.message).toMatch(/^preempted by web\.\d \(service\)$/);
      expect(containerInfo(core, v)).toMatchObject({ state: "preempted", agent: "", preemptedBy: expect.stringMatching(/^web\./) });
    }
    expect(core.placement.ofGroup("web").every((c) => c.agent)).toBe(true);
    // the agents still report the victims running until they destroy them: no adoption back
    const before = [...core.placement.containers.values()].map((c) => `${c.id}@${c.agent}`).sort();
    for (const [agent, ids] of had) core.heartbeat(hb(agent, ids.map((id) => running({ containerId: id, groupId: "job", ports: [] })), 1, 1, 0), 6);
    core.tick(7);
    expect([...core.placement.containers.values()].map((c) => `${c.id}@${c.agent}`).sort()).toEqual(before);
    expect(victims.every((v) => v.lastError === "2 agents: no cpu")).toBe(true);
  });

  test("galaxy preempt forces one pending container onto a chosen agent", () => {
    const core = cluster(["a", "b"]);
    core.createGroup(group("job", 4, "batch", full), 1);
    core.tick(2);
    core.createGroup(group("web", 1, "service", full), 3);
    // not ticked: web.0 is pending; force it onto b
    const r = forcePreempt(core, "web", "b", 4);
    expect(r.container).toBe("web.0");
    expect(r.victims).toHaveLength(1);
    expect(core.placement.get("web.0")!.agent).toBe("b");
    expect(() => forcePreempt(core, "web", "b", 5)).toThrow("group web has no pending container");
    core.createGroup(group("more", 1, "batch", full), 6);
    expect(() => forcePreempt(core, "more", "a", 7)).toThrow("more.0 cannot go on a: no cpu");
  });

  test("plan: a dry run on the live state changes nothing", () => {
    const core = cluster(["a", "b"]);
    core.createGroup(group("job", 3, "batch", full), 1);
    core.tick(2);
    const before = JSON.stringify([...core.placement.containers.values()]);
    const p = planGroup(core, group("web", 5, "service", { ...full, id: "" }));
    expect(p).toMatchObject({ fit: 4, wanted: 5, preempting: 3, lastError: "2 agents: no cpu" });
    expect(p.placements.reduce((s, x) => s + x.count, 0)).toBe(4);
    expect(p.victims.sort()).toEqual(["job.0", "job.1", "job.2"]);
    expect(JSON.stringify([...core.placement.containers.values()])).toBe(before);
  });

  test("identical pending containers get one pass; each keeps the last error with counts", () => {
    const core = cluster(["a", "b", "c"]);
    core.createGroup(group("big", 5, "service", { resources: { millicores: 1000, memory: 6 * G, disk: 0, ssd: 0 } }), 1);
    core.tick(2);
    const pending = core.placement.ofGroup("big").filter((c) => !c.agent);
    expect(pending).toHaveLength(2);
    expect(pending.map((c) => containerInfo(core, c).lastError)).toEqual(["3 agents: no memory", "3 agents: no memory"]);
    expect(containerInfo(core, pending[0]!).reasons).toEqual({ "no memory": 3 });
  });

  test("safe mode: nothing is scheduled until enough known agents reported, or the timeout", () => {
    const first = cluster(["a", "b", "c", "d", "e"]);
    const hard = { agents: [...first.agents.values()], groups: [], pools: ["default"] };
    const core = new ResManCore({ ...cfg, safeModeFraction: 0.8, recoveryMs: 0, safeModeTimeoutMs: 60_000 }, 2, hard, 100);
    core.createGroup(group("web", 1), 100);
    core.heartbeat(hb("a", [], 2), 101);
    core.heartbeat(hb("b", [], 2), 101);
    core.heartbeat(hb("c", [], 2), 101);
    core.tick(102);
    expect(core.safeMode).toBe("auto");
    expect(core.placement.pending.size).toBe(1);
    core.heartbeat(hb("d", [], 2), 103);
    core.tick(104);
    expect(core.safeMode).toBe("off");
    expect(core.placement.pending.size).toBe(0);
    const late = new ResManCore({ ...cfg, safeModeFraction: 0.8, recoveryMs: 0, safeModeTimeoutMs: 1000 }, 3, hard, 0);
    late.tick(999);
    expect(late.safeMode).toBe("auto");
    late.tick(1000);
    expect(late.safeMode).toBe("off");
  });

  test("safe mode entered by hand holds until left, and survives a restart", () => {
    const core = cluster(["a"]);
    expect(core.setSafeMode(true).writes).toEqual([{ table: "meta", key: "safeMode", value: true }]);
    core.createGroup(group("web", 1), 1);
    core.tick(2);
    expect(core.placement.pending.size).toBe(1);
    const restarted = new ResManCore(cfg, 2, { agents: [...core.agents.values()], groups: [...core.groups.values()], pools: ["default"], safeMode: true }, 3);
    expect(restarted.safeMode).toBe("manual");
    core.setSafeMode(false);
    core.tick(3);
    expect(core.placement.pending.size).toBe(0);
  });

  test("exclusive volumes: the device binding rides on the cap and is re-adopted after a failover", () => {
    const devices = { volumes: [{ medium: "disk", path: "/d1", size: 500 * G, free: 0 }], total: { millicores: 4000, memory: 8 * G, disk: 600 * G, ssd: 0 } };
    const core = new ResManCore(cfg, 1, { agents: [], groups: [], pools: ["default"] }, 0);
    core.heartbeat(hb("a", [], 0, 0, 0, devices), 0);
    core.tick(1);
    core.createGroup(group("db", 2, "service", { resources: { millicores: 100, memory: G, disk: 10 * G, ssd: 0 }, volumes: [{ path: "/data", size: 10 * G, medium: "disk", exclusive: true, readonly: false, persistent: false, sticky: false, retentionMs: 0 }] }), 1);
    core.tick(2);
    const cap = core.heartbeat(hb("a", [], 0, 0, 0, devices), 3).reply.caps[0]!;
    expect(cap.bindings).toEqual([{ path: "/data", hostPath: "/d1", size: 500 * G, medium: "disk", shared: false }]);
    expect(core.placement.load("a").assigned.disk).toBe(500 * G);
    expect(core.placement.get("db.1")!.lastError).toBe("1 agent: no exclusive disk device");
    const next = new ResManCore(cfg, 2, { agents: [...core.agents.values()], groups: [...core.groups.values()], pools: ["default"] }, 10);
    const report = { ...running({ containerId: cap.containerId, groupId: "db", ports: cap.ports }), cap };
    next.heartbeat(hb("a", [report], 1, 1, 1, devices), 11);
    expect(next.placement.load("a").assigned.disk).toBe(500 * G);
    expect(next.placement.load("a").devices).toEqual(new Set(["/d1"]));
  });
});
