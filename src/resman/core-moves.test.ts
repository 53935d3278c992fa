import { describe, expect, test } from "bun:test";
import { labelAgents, setAgentAdmin, setAgentPool } from "./core-admin.ts";
import { avoidLeaving, drainStatus, ROOM_RECHECK_MS } from "./core-moves.ts";
import { cluster, group, hb, reportAll, running, where } from "./test-fixtures.ts";
import { containerInfo } from "./views.ts";

const small = { resources: { millicores: 100, memory: 64 * 1024 ** 2, disk: 0, ssd: 0 } };
const capIds = (core: ReturnType<typeof cluster>, agent: string) => core.capsFor(agent).map((c) => c.containerId).sort();

/** web (3 services) and job (2 batch) all on one agent, running; returns it and the other. */
function packed() {
  const core = cluster(["a", "b"]);
  core.createGroup(group("web", 3, "service", { ...small, spread: false }), 1);
  core.createGroup(group("job", 2, "batch", { ...small, spread: false }), 1);
  core.tick(2);
  const from = core.placement.get("web.0")!.agent;
  for (const c of core.placement.containers.values()) expect(c.agent).toBe(from);
  reportAll(core, 3);
  return { core, from, to: from === "a" ? "b" : "a" };
}

describe("moves off an agent: batch by ResMan at once, services marked for AppMaster", () => {
  test("drain moves batch at once and only marks services, whose hints say why", () => {
    const { core, from, to } = packed();
    setAgentAdmin(core, from, "draining");
    core.tick(4);
    expect(where(core, "job")).toEqual({ "job.0": to, "job.1": to }); // rescheduled, not lost
    expect(where(core, "web")).toEqual({ "web.0": from, "web.1": from, "web.2": from });
    for (const c of core.placement.ofGroup("web")) {
      expect(containerInfo(core, c)).toMatchObject({ move: `drain of ${from}`, moveBlocked: "", state: "running" });
    }
    expect(drainStatus(core, core.agents.get(from)!)).toBe("drain: 3 containers to move (services a deploy step at a time, make-before-break)");
    expect(drainStatus(core, core.agents.get(to)!)).toBe("");
  });

  test("a marked container moves make-before-break: its old copy keeps its cap until its agent reports it ended", () => {
    const { core, from, to } = packed();
    setAgentAdmin(core, from, "draining");
    core.tick(4);
    const before = core.placement.load(from).assigned.millicores;
    core.rescheduleContainer("web.0", "drain of x");
    core.tick(5);
    expect(core.placement.get("web.0")!.agent).toBe(to); // the new copy
    expect(capIds(core, from)).toEqual(["web.0", "web.1", "web.2"]); // the old copy still runs there
    expect(capIds(core, to)).toContain("web.0");
    expect(core.placement.load(from).assigned.millicores).toBe(before);
    expect(drainStatus(core, core.agents.get(from)!)).toBe("drain: 2 containers to move, 1 old copy stopping once its replacement runs healthy (services a deploy step at a time, make-before-break)");
    // its agent still reports it running: kept; then exited (AppMaster terminated it): let go
    const old = running({ containerId: "web.0", groupId: "web", ports: [{ name: "http", port: 20000 }] });
    const v0 = core.agents.get(from)!.capsVersion;
    core.heartbeat(hb(from, [old], 1, 1, v0), 6);
    expect(capIds(core, from)).toEqual(["web.0", "web.1", "web.2"]);
    expect(core.placement.get("web.0")!.agent).toBe(to); // never adopted back
    core.heartbeat(hb(from, [{ ...old, state: "exited" }], 1, 1, v0), 7);
    expect(capIds(core, from)).toEqual(["web.1", "web.2"]);
    expect(core.agents.get(from)!.capsVersion).toBeGreaterThan(v0);
    expect(core.placement.load(from).assigned.millicores).toBe(before - 100);
    for (const id of ["web.1", "web.2"]) core.rescheduleContainer(id, "drain");
    core.tick(8);
    const done = { ...old, state: "exited" };
    core.heartbeat(hb(from, [{ ...done, containerId: "web.1" }, { ...done, containerId: "web.2" }], 1, 1, core.agents.get(from)!.capsVersion), 9);
    expect(core.placement.ofAgent(from)).toEqual([]);
    expect(drainStatus(core, core.agents.get(from)!)).toBe("drained");
  });

  test("with no room elsewhere the mark says why, and the agent shows that its drain waits", () => {
    const { core, from, to } = packed();
    setAgentAdmin(core, to, "offline");
    setAgentAdmin(core, from, "draining");
    core.tick(4);
    const c = core.placement.get("web.2")!;
    expect(c.agent).toBe(from);
    expect(containerInfo(core, c)).toMatchObject({ move: `drain of ${from}`, moveBlocked: "1 agent: agent draining, 1: agent offline" });
    expect(drainStatus(core, core.agents.get(from)!)).toBe("drain waits: no room for web.0 and 2 more (1 agent: agent draining, 1: agent offline)");
    setAgentAdmin(core, to, "active");
    core.tick(5);
    expect(c.moveBlocked).not.toBe(""); // the dry run is kept a second
    core.tick(4 + ROOM_RECHECK_MS);
    expect(c.moveBlocked).toBe("");
    setAgentAdmin(core, from, "active"); // drain stopped: marks cleared
    core.tick(6 + ROOM_RECHECK_MS);
    expect(containerInfo(core, c)).toMatchObject({ move: "", moveBlocked: "" });
    expect(drainStatus(core, core.agents.get(from)!)).toBe("");
  });

  test("a new copy is never placed where its old copy still is (one id, one copy per agent)", () => {
    const { core, from, to } = packed();
    setAgentAdmin(core, from, "draining");
    core.tick(4);
    core.rescheduleContainer("web.0", "drain");
    const spec = core.groups.get("web")!.spec;
    expect(avoidLeaving(core, spec).blacklist).toEqual([from]);
    expect(avoidLeaving(core, core.groups.get("job")!.spec)).toBe(core.groups.get("job")!.spec);
    core.tick(5);
    expect(core.placement.get("web.0")!.agent).toBe(to);
  });

  test("a move cancelled before its new copy is placed: the old copy is the container again, where it runs", () => {
    const { core, from, to } = packed();
    setAgentAdmin(core, from, "draining");
    core.tick(4);
    const grant = core.placement.get("web.0")!.grantedAt;
    setAgentAdmin(core, to, "offline"); // no room: the new copy stays pending
    core.rescheduleContainer("web.0", "drain");
    core.tick(5);
    expect(core.placement.get("web.0")!.agent).toBe("");
    setAgentAdmin(core, from, "active");
    core.tick(6);
    expect(core.placement.get("web.0")!).toMatchObject({ agent: from, state: "running", grantedAt: grant, move: "" });
    expect(core.placement.leaving.size).toBe(0);
    expect(capIds(core, from)).toEqual(["web.0", "web.1", "web.2"]);
    expect(core.capsFor(from).find((c) => c.containerId === "web.0")!.grantedAt).toBe(grant);
  });

  test("an unmarked container (failure policy) still leaves its agent at once", () => {
    const { core, from } = packed();
    core.rescheduleContainer("web.1", "failed");
    expect(capIds(core, from)).not.toContain("web.1");
    expect(core.placement.leaving.size).toBe(0);
  });

  test("a leaving copy goes when its agent's full report lacks it, or the agent dies", () => {
    const { core, from } = packed();
    setAgentAdmin(core, from, "draining");
    core.tick(4);
    core.rescheduleContainer("web.0", "drain");
    core.rescheduleContainer("web.1", "drain");
    core.tick(5);
    const keep = running({ containerId: "web.1", groupId: "web", ports: [] });
    core.heartbeat(hb(from, [keep], 1, 1, core.agents.get(from)!.capsVersion), 6);
    expect(capIds(core, from)).toEqual(["web.1", "web.2"]);
    core.tick(20_000); // silent past agent_timeout
    expect(core.agents.get(from)!.dead).toBe(true);
    expect(core.placement.leaving.size).toBe(0);
    expect(capIds(core, from)).toEqual(["web.2"]);
  });

  test("a container whose agent loses a required label is marked; pools likewise; it moves when AppMaster asks", () => {
    const core = cluster(["a", "b"]);
    labelAgents(core, "ssd", ["a"], false);
    core.createGroup(group("db", 1, "service", { labels: ["ssd"] }), 1);
    core.tick(2);
    expect(where(core, "db")).toEqual({ "db.0": "a" });
    reportAll(core, 2);
    labelAgents(core, "ssd", ["a"], true);
    core.tick(3);
    expect(where(core, "db")).toEqual({ "db.0": "a" });
    expect(core.placement.get("db.0")!).toMatchObject({ move: "agent a lost label ssd", moveBlocked: "2 agents: labels" });
    labelAgents(core, "ssd", ["b"], false);
    core.tick(3 + ROOM_RECHECK_MS);
    expect(core.placement.get("db.0")!.moveBlocked).toBe("");
    core.rescheduleContainer("db.0", "agent a lost label ssd");
    core.tick(4 + ROOM_RECHECK_MS);
    expect(where(core, "db")).toEqual({ "db.0": "b" });
    expect(capIds(core, "a")).toEqual(["db.0"]);
    reportAll(core, 6);
    core.pools.add("gpu");
    setAgentPool(core, "b", "gpu");
    core.tick(7);
    expect(core.placement.get("db.0")!.move).toBe("agent b is in pool gpu");
  });

  test("preemption takes a service's containers within its budget: the next only once the first runs again", () => {
    const core = cluster(["a", "b", "c"]);
    core.pools.add("other");
    setAgentPool(core, "c", "other"); // web may use it, the monitor may not
    setAgentAdmin(core, "c", "offline");
    const whole = { resources: { millicores: 4000, memory: 1024 ** 3, disk: 0, ssd: 0 } };
    core.createGroup(group("web", 2, "service", { ...whole, pools: ["default", "other"] }), 1);
    core.tick(2);
    reportAll(core, 3);
    core.createGroup(group("mon", 2, "monitor", whole), 4);
    core.tick(5);
    const preempted = () => core.placement.ofGroup("web").filter((c) => c.state === "preempted").length;
    const monPlaced = () => core.placement.ofGroup("mon").filter((c) => c.agent).length;
    expect([preempted(), monPlaced()]).toEqual([1, 1]);
    reportAll(core, 5_004);
    core.tick(5 + 5_000); // a retry pass: the budget (step 1) is spent while the victim is not running again
    expect([preempted(), monPlaced()]).toEqual([1, 1]);
    setAgentAdmin(core, "c", "active");
    core.tick(5_006);
    expect(core.placement.ofGroup("web").filter((c) => c.agent === "c")).toHaveLength(1);
    reportAll(core, 5_007, "creating");
    core.tick(5_008 + 5_000); // ...but does not run yet: still no budget
    expect(monPlaced()).toBe(1);
    reportAll(core, 10_010);
    core.tick(10_011 + 5_000);
    expect([preempted(), monPlaced()]).toEqual([1, 2]);
  });
});
