import { describe, expect, test } from "bun:test";
import type { ContainerReport, Resources } from "../rpc/types.ts";
import { ContainerRec, NO_BINDINGS, NO_PORTS, NO_REASONS } from "./container-rec.ts";
import { PlacementTable } from "./placement.ts";
import { G, running } from "./test-fixtures.ts";

const res = (millicores: number): Resources => ({ millicores, memory: G, disk: 0, ssd: 0 });
const extraOf = (c: ContainerRec): unknown => (c as unknown as { x: unknown }).x;
const report = (over: Partial<ContainerReport> = {}): ContainerReport => ({
  ...running({ containerId: "web.0", groupId: "web", ports: [] }), ...over,
});

describe("ContainerRec: the common container holds no object of its own", () => {
  test("a new container shares the empty ports, bindings and reasons and is charged its resources", () => {
    const r = res(1000);
    const c = new ContainerRec("web.0", "web", 0, r);
    expect(c.ports).toBe(NO_PORTS);
    expect(c.bindings).toBe(NO_BINDINGS);
    expect(c.reasons).toBe(NO_REASONS);
    expect(c.charged).toBe(r);
    expect(extraOf(c)).toBeNull();
    expect(() => (c.ports as unknown[]).push(1)).toThrow(); // shared: frozen
  });

  test("a report's state, pid and times are taken; an all-zero usage is kept as none", () => {
    const c = new ContainerRec("web.0", "web", 0, res(1000));
    c.applyReport(report({ state: ["run", "ning"].join(""), pid: 7, startedAt: 5 }));
    expect([c.state, c.pid, c.startedAt, c.usage, c.message, c.exitCode]).toEqual(["running", 7, 5, null, "", 0]);
    expect(extraOf(c)).toBeNull();
    c.applyReport(report({ state: "" }));
    expect(c.state).toBe("running");
    c.applyReport(report({ state: "rebooting" })); // unknown: kept as reported
    expect(c.state as string).toBe("rebooting");
  });

  test("usage is copied into the container's own object, updated in place", () => {
    const c = new ContainerRec("web.0", "web", 0, res(1000));
    const u1 = { millicores: 10, memoryRss: 20, memoryCache: 0, disk: 0, at: 1 };
    c.applyReport(report({ usage: u1 }));
    const own = c.usage;
    expect(own).toEqual(u1);
    expect(own).not.toBe(u1);
    c.applyReport(report({ usage: { ...u1, millicores: 30, at: 2 } }));
    expect(c.usage).toBe(own!);
    expect(c.usage).toEqual({ ...u1, millicores: 30, at: 2 });
  });

  test("rare fields live in a side record, dropped once all are back at their defaults", () => {
    const c = new ContainerRec("web.0", "web", 0, res(1000));
    c.lastError = "no memory";
    c.reasons = { "no memory": 3 };
    c.applyReport(report({ state: "failed", exitCode: 2, message: "oom" }));
    expect([c.lastError, c.reasons, c.exitCode, c.message]).toEqual(["no memory", { "no memory": 3 }, 2, "oom"]);
    c.lastError = "";
    c.reasons = {};
    expect(c.reasons).toBe(NO_REASONS);
    expect(extraOf(c)).not.toBeNull();
    c.applyReport(report());
    expect(extraOf(c)).toBeNull();
  });

  test("charged: equal to its resources means the same object; a placed container keeps its charge when resources change", () => {
    const r = res(1000);
    const c = new ContainerRec("web.0", "web", 0, r);
    c.charged = res(1000); // equal values, another object (what the scheduler hands back)
    expect(c.charged).toBe(r);
    c.agent = "a";
    c.resources = res(2000); // an orphan's group arrives with other resources
    expect(c.charged).toBe(r);
    expect(c.resources.millicores).toBe(2000);
    c.charged = c.resources;
    expect(extraOf(c)).toBeNull();
    c.agent = "";
    c.resources = res(500); // pending: its charge is whatever it will be placed with
    expect(c.charged.millicores).toBe(500);
  });
});

describe("PlacementTable: canonical values on assign, an agent's list", () => {
  test("empty ports and bindings become the shared ones; a release swap-removes from the agent's list", () => {
    const t = new PlacementTable(() => false);
    const cs = [0, 1, 2].map((i) => new ContainerRec(`web.${i}`, "web", i, res(1000)));
    for (const c of cs) t.add(c);
    for (const c of cs) t.assign(c, "a", [], res(1000), []);
    expect(cs.every((c) => c.ports === NO_PORTS && c.bindings === NO_BINDINGS && c.charged === c.resources)).toBe(true);
    expect(t.load("a").assigned.millicores).toBe(3000);
    t.unassign(cs[1]!);
    expect(t.ofAgent("a").map((c) => c.id).sort()).toEqual(["web.0", "web.2"]);
    t.remove(cs[2]!);
    t.remove(cs[0]!);
    expect([t.ofAgent("a"), t.load("a").assigned.millicores, t.pending.has("web.1")]).toEqual([[], 0, true]);
  });
});
