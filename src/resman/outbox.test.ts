// ResManCore as a state machine with an outbox (outbox.ts): each input returns what to persist and what to send,
// and what to send gathers until the shell advances the core.
import { describe, expect, test } from "bun:test";
import { labelAgents, removeAgent, setAgentAdmin } from "./core-admin.ts";
import { forcePreempt } from "./core-schedule.ts";
import { cluster, group, hb } from "./test-fixtures.ts";

const sorted = (s: ReadonlySet<string>) => [...s].sort();

describe("ResManCore's outbox", () => {
  test("a request returns its write; the tick that places it returns the agents whose caps changed and the group", () => {
    const core = cluster(["a", "b"]);
    core.advance();
    const created = core.createGroup(group("web", 2), 1);
    expect(created.writes.map((w) => [w.table, w.key])).toEqual([["groups", "web"]]);
    expect(sorted(created.capsChanged)).toEqual([]); // nothing placed yet
    expect(sorted(created.hintGroups)).toEqual(["web"]); // hints show its job type and pending containers
    const placed = core.tick(2);
    expect(placed.writes).toEqual([]);
    expect(sorted(placed.capsChanged)).toEqual(["a", "b"]); // spread: one container on each
    expect(sorted(placed.hintGroups)).toEqual(["web"]);
  });

  test("what to send gathers across inputs until advance, then starts again", () => {
    const core = cluster(["a", "b"]);
    core.advance();
    core.createGroup(group("web", 1), 1);
    core.tick(2);
    const agent = core.placement.ofGroup("web")[0]!.agent;
    const heartbeat = core.heartbeat(hb("a", [], 1, 1, core.agents.get("a")!.capsVersion), 3); // sends nothing itself
    expect(sorted(heartbeat.capsChanged)).toEqual([agent]); // still there: the tick's send has not happened
    core.advance();
    expect(sorted(core.ready().capsChanged)).toEqual([]);
    expect(sorted(core.ready().hintGroups)).toEqual([]);
    expect(sorted(core.tick(4).capsChanged)).toEqual([]);
  });

  test("removing a group: its write, and its agents' caps change", () => {
    const core = cluster(["a"]);
    core.createGroup(group("web", 1), 1);
    core.tick(2);
    core.advance();
    const out = core.removeGroup("web");
    expect(out.writes).toEqual([{ table: "groups", key: "web", value: null }]);
    expect(sorted(out.capsChanged)).toEqual(["a"]);
  });

  test("operators' changes are inputs too: writes, and a removed agent's parked watch to end", () => {
    const core = cluster(["a", "b"]);
    core.advance();
    const drained = core.admin((s) => setAgentAdmin(s, "a", "draining"));
    expect(drained.writes.map((w) => [w.table, w.key])).toEqual([["agents", "a"]]);
    expect(core.admin((s) => labelAgents(s, "ssd", ["b"], false)).writes.map((w) => w.key)).toEqual(["b"]);
    const removed = core.admin((s) => removeAgent(s, "b"));
    expect(removed.writes).toEqual([{ table: "agents", key: "b", value: null }]);
    expect(sorted(removed.capsChanged)).toEqual(["b"]);
  });

  test("a forced preemption is an input too: its answer, and the caps of the agent it took a container from", () => {
    const core = cluster(["a"]);
    core.createGroup(group("low", 4, "batch"), 1);
    core.tick(2);
    core.createGroup(group("web", 1), 3);
    core.advance();
    const { result, ...out } = core.decide((s) => forcePreempt(s, "web", "a", 4));
    expect(result.container).toBe("web.0");
    expect(result.victims.length).toBeGreaterThan(0);
    expect(sorted(out.capsChanged)).toEqual(["a"]);
  });

  test("safe mode and a rescheduled container", () => {
    const core = cluster(["a", "b"]);
    core.createGroup(group("web", 1), 1);
    core.tick(2);
    core.advance();
    expect(core.setSafeMode(true).writes).toEqual([{ table: "meta", key: "safeMode", value: true }]);
    const { container, ...out } = core.rescheduleContainer("web.0", "lost too long");
    expect(container.agent).toBe("");
    expect(out.writes).toEqual([]);
    expect(out.capsChanged.size).toBe(1); // the agent it was taken from
    expect(sorted(out.hintGroups)).toEqual(["web"]);
  });
});
