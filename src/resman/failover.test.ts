// Fuxi's failover rules in ResMan's core: a new leader schedules nothing of the groups it loaded until AppMaster
// has re-sent its requests and hints; hints hold a silent agent's containers on it; lower AppMaster epochs are fenced.
import { describe, expect, test } from "bun:test";
import type { ContainerReport, Hint } from "../rpc/types.ts";
import { ResManCore } from "./core.ts";
import { cfg, cluster, group, hb, running } from "./test-fixtures.ts";
import { hints } from "./views.ts";

/** A cluster of a, b, c running a 3-replica spread service; returns the core and what each agent runs. */
function running3() {
  const core = cluster(["a", "b", "c"]);
  core.createGroup(group("web", 3, "service", { spread: true, maxPerHost: 1 }), 1);
  core.tick(2);
  const by = new Map<string, ContainerReport[]>();
  for (const c of core.placement.containers.values()) by.set(c.agent, [...(by.get(c.agent) ?? []), running({ containerId: c.id, groupId: c.group, ports: c.ports })]);
  return { core, by, lastHints: hints(core, null) };
}

/** The next leader: hard state only (agents, groups), no placement. */
const failover = (core: ResManCore, now: number) =>
  new ResManCore(cfg, core.epoch + 1, { agents: [...core.agents.values()], groups: [...core.groups.values()], pools: ["default"] }, now, core.users);

describe("ResMan failover", () => {
  test("the recovery window stays open until every known agent has reported (or it times out), not the first", () => {
    const { core, by } = running3();
    const next = failover(core, 100);
    next.heartbeat(hb("a", by.get("a")!, 1, 1, 9), 101);
    next.tick(102);
    expect(next.recovering).toBe(true); // b and c have not reported: their containers must not look lost yet
    next.heartbeat(hb("b", by.get("b")!, 1, 1, 9), 103);
    next.tick(104);
    expect(next.recovering).toBe(true);
    next.heartbeat(hb("c", by.get("c")!, 1, 1, 9), 105);
    next.tick(106);
    expect(next.recovering).toBe(false); // all three: the window closes before recoveryMs
    expect(106).toBeLessThan(100 + cfg.recoveryMs);
  });

  test("a silent agent's online container is held on it by AppMaster's hints, never placed twice", () => {
    const { core, by, lastHints } = running3();
    const next = failover(core, 100);
    next.heartbeat(hb("a", by.get("a")!, 1, 1, 9), 101);
    next.heartbeat(hb("b", by.get("b")!, 1, 1, 9), 101);
    // c is silent. The window closes; AppMaster has not synced yet: nothing is scheduled.
    next.tick(100 + cfg.recoveryMs + 1);
    expect(next.recovering).toBe(false);
    const onC = by.get("c")![0]!.containerId;
    expect(next.placement.get(onC)!.agent).toBe("");
    expect(next.placement.pending.has(onC)).toBe(true);
    // AppMaster re-sends requests and its last hints: the container is held on c, lost, not rescheduled
    next.syncGroups([...core.groups.values()].map((g) => g.spec), 5_200, lastHints as Hint[]);
    next.tick(5_300);
    expect(next.placement.get(onC)).toMatchObject({ agent: "c", state: "lost" });
    expect(next.placement.pending.size).toBe(0);
    // c returns with its container: adopted as running, its cap set unchanged
    const reply = next.heartbeat(hb("c", by.get("c")!, 1, 1, 9), 5_400).reply;
    expect(reply.caps.map((x) => x.containerId)).toEqual([onC]);
    expect(next.placement.get(onC)).toMatchObject({ agent: "c", state: "running" });
  });

  test("a hint for an agent that reported without the container does not hold it", () => {
    const { core, by, lastHints } = running3();
    const next = failover(core, 100);
    for (const a of ["a", "b"]) next.heartbeat(hb(a, by.get(a)!, 1, 1, 9), 101);
    next.heartbeat(hb("c", [], 1, 1, 9), 101); // c lost its container (e.g. its disk was wiped)
    next.syncGroups([...core.groups.values()].map((g) => g.spec), 102, lastHints as Hint[]);
    next.tick(103);
    const onC = by.get("c")![0]!.containerId;
    expect(next.placement.get(onC)!.agent).toBe("c"); // placed again (c is the only agent it fits with max_per_host 1)
    expect(next.placement.get(onC)!.state).toBe("allocated");
  });

  test("without AppMaster, scheduling resumes only after amWaitMs", () => {
    const { core, by } = running3();
    const next = failover(core, 0);
    for (const a of ["a", "b"]) next.heartbeat(hb(a, by.get(a)!, 1, 1, 9), 1);
    next.tick(cfg.recoveryMs + 1);
    expect(next.placement.pending.size).toBe(1);
    next.tick((cfg.amWaitMs ?? 60_000) + 10);
    expect(next.awaitingAm).toBe(false);
  });

  test("requests from a deposed AppMaster (lower epoch) or with no epoch (0) are refused", () => {
    const { core } = running3();
    expect(() => core.fenceAm(0)).toThrow(/epoch 0 is older than epoch 1/);
    core.fenceAm(3);
    expect(() => core.fenceAm(2)).toThrow(/epoch 2 is older than epoch 3/);
    expect(() => core.fenceAm(0)).toThrow(/epoch 0 is older than epoch 3/);
    expect(core.amEpochSeen).toBe(3);
    core.fenceAm(4);
    expect(core.amEpochSeen).toBe(4);
  });
});

describe("recreate", () => {
  test("a rescheduled container takes its group's current resources and a new grant", () => {
    const { core } = running3();
    const c = [...core.placement.containers.values()][0]!;
    const before = c.grantedAt;
    core.updateGroup(group("web", 3, "service", { spread: true, maxPerHost: 1, resources: { millicores: 700, memory: 2 * 1024 ** 3, disk: 0, ssd: 0 } }), 50);
    expect(c.resources.millicores).toBe(1000); // a placed container keeps its resources until it is recreated
    core.rescheduleContainer(c.id, "recreate");
    core.tick(60);
    expect(c.agent).not.toBe("");
    expect(c.resources.millicores).toBe(700);
    expect(c.grantedAt).toBeGreaterThan(before);
  });
});
