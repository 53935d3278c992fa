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
