import { describe, expect, test } from "bun:test";
import { labelAgents, listLabels, maybeRelievePressure, removeAgent, setAgentAdmin, setAgentPool } from "./core-admin.ts";
import { cluster, group, hb, reportAll, running, where } from "./test-fixtures.ts";

const small = { resources: { millicores: 100, memory: 64 * 1024 ** 2, disk: 0, ssd: 0 } };

describe("agents: offline, drain, labels, pools, remove", () => {
  test("an offline agent takes no new containers but keeps its own", () => {
    const core = cluster(["a", "b"]);
    core.createGroup(group("web", 1, "service", { spread: false }), 1);
    core.tick(2);
    const first = core.placement.get("web.0")!.agent;
    setAgentAdmin(core, first, "offline");
    core.scaleGroup("web", 3, 3);
    core.tick(4);
    expect(core.placement.get("web.0")!.agent).toBe(first);
    expect(core.placement.ofGroup("web").filter((c) => c.agent === first)).toHaveLength(1);
  });

  test("drain moves batch first, then services one step at a time, never below replica − step", () => {
    const core = cluster(["a", "b"]);
    core.createGroup(group("web", 3, "service", { ...small, spread: false, pools: ["default"] }), 1);
    core.createGroup(group("job", 2, "batch", { ...small, spread: false }), 1);
    core.tick(2);
    // everything on one agent, then drain it
    const victim = core.placement.get("web.0")!.agent;
    for (const c of core.placement.containers.values()) expect(c.agent).toBe(victim);
    reportAll(core, 3);
    setAgentAdmin(core, victim, "draining");
    core.tick(4);
    // batch moved at once, services wait for them
    expect(core.placement.ofGroup("job").every((c) => c.agent && c.agent !== victim)).toBe(true);
    expect(core.placement.ofGroup("web").every((c) => c.agent === victim)).toBe(true);
    let t = 5;
    const seenRunning: number[] = [];
    for (let round = 0; round < 10 && core.placement.ofAgent(victim).length > 0; round++) {
      reportAll(core, t++);
      core.tick(t++);
      seenRunning.push(core.placement.ofGroup("web").filter((c) => c.state === "running").length);
      reportAll(core, t++);
      core.tick(t++);
    }
    expect(core.placement.ofAgent(victim)).toEqual([]);
    expect(Math.min(...seenRunning)).toBeGreaterThanOrEqual(3 - 1);
    expect(core.placement.ofGroup("web").every((c) => c.agent && c.agent !== victim)).toBe(true);
  });

  test("a container whose agent loses a required label moves; pools steer likewise", () => {
    const core = cluster(["a", "b"]);
    labelAgents(core, "ssd", ["a"], false);
    core.createGroup(group("db", 1, "service", { labels: ["ssd"] }), 1);
    core.tick(2);
    expect(where(core, "db")).toEqual({ "db.0": "a" });
    reportAll(core, 2);
    labelAgents(core, "ssd", ["b"], false);
    labelAgents(core, "ssd", ["a"], true);
    expect(listLabels(core)).toEqual([{ label: "ssd", endpoints: ["b"] }]);
    core.tick(3);
    expect(where(core, "db")).toEqual({ "db.0": "b" });
    expect(core.placement.get("db.0")!.grantedAt).toBe(3);
    core.pools.add("gpu");
    reportAll(core, 4);
    setAgentPool(core, "b", "gpu");
    core.tick(5);
    expect(where(core, "db")).toEqual({ "db.0": "" });
    expect(core.placement.get("db.0")!.lastError).toBe("1 agent: labels, 1: pool");
  });

  test("the old agent's report does not pull a moved container back", () => {
    const core = cluster(["a", "b"]);
    core.createGroup(group("job", 1, "batch"), 1);
    core.tick(2);
    const from = core.placement.get("job.0")!.agent;
    const to = from === "a" ? "b" : "a";
    reportAll(core, 3);
    setAgentAdmin(core, to, "offline"); // nowhere to go: it stays pending
    setAgentAdmin(core, from, "draining");
    core.tick(4);
    expect(core.placement.get("job.0")!.agent).toBe("");
    core.heartbeat(hb(from, [running({ containerId: "job.0", groupId: "job", ports: [{ name: "http", port: 20000 }] })], 1, 1, 0), 5);
    expect(core.placement.get("job.0")!.agent).toBe("");
  });

  test("remove: refused while an alive agent runs containers; a dead one's containers go pending", () => {
    const core = cluster(["a", "b"]);
    core.createGroup(group("web", 1, "service", { spread: false }), 1);
    core.tick(2);
    const at = core.placement.get("web.0")!.agent;
    expect(() => removeAgent(core, at)).toThrow(/drain it first/);
    core.agents.get(at)!.dead = true;
    expect(removeAgent(core, at)).toEqual([{ table: "agents", key: at, value: null }]);
    expect(core.agents.has(at)).toBe(false);
    core.tick(3);
    expect(core.placement.get("web.0")!.agent).not.toBe(at);
  });

  test("memory pressure evicts the newest best-effort container, one per heartbeat", () => {
    const core = cluster(["a"]);
    core.createGroup(group("svc", 1, "service", { ...small }), 1);
    core.createGroup(group("be", 2, "best-effort", { ...small }), 1);
    core.tick(2);
    const a = core.agents.get("a")!;
    expect(maybeRelievePressure(core, a, true)).toBe(true);
    expect(core.placement.ofGroup("be").filter((c) => c.agent)).toHaveLength(1);
    expect(core.placement.ofGroup("be").find((c) => !c.agent)!.message).toBe("evicted: memory pressure on a");
    maybeRelievePressure(core, a, true);
    expect(maybeRelievePressure(core, a, true)).toBe(false);
    expect(core.placement.get("svc.0")!.agent).toBe("a");
  });
});
