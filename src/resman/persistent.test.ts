import { describe, expect, test } from "bun:test";
import type { AgentInfo } from "../rpc/types.ts";
import { cluster, G, group, hb } from "./test-fixtures.ts";

const devices = (a: string): Partial<AgentInfo> => ({
  volumes: [{ medium: "disk", path: `/${a}/d1`, size: 20 * G, free: 0 }, { medium: "disk", path: `/${a}/d2`, size: 20 * G, free: 0 }],
  total: { millicores: 4000, memory: 8 * G, disk: 40 * G, ssd: 0 },
});
const data = (containerId: string, device: string, retentionMs = 0) => ({ containerId, groupId: containerId.split(".")[0]!, path: "/data", device, size: 5 * G, retentionMs });
const db = (sticky = false, replica = 1) =>
  group("db", replica, "service", {
    resources: { millicores: 1000, memory: G, disk: 5 * G, ssd: 0 }, ports: [],
    volumes: [{ path: "/data", size: 5 * G, medium: "disk", exclusive: false, readonly: false, persistent: true, sticky, retentionMs: 0 }],
  });

describe("persistent volumes in ResMan", () => {
  test("a pending container goes back to the agent and device reporting its data, though spread would pick the other", () => {
    const core = cluster([]);
    core.heartbeat(hb("a", [], 0, 0, 0, { ...devices("a"), data: [data("db.0", "/a/d2")] }), 0);
    core.heartbeat(hb("b", [], 0, 0, 0, devices("b")), 0);
    core.tick(1);
    core.createGroup(db(), 2);
    core.tick(3);
    const c = core.placement.get("db.0")!;
    expect(c.agent).toBe("a");
    expect(c.bindings).toEqual([{ path: "/data", hostPath: "/a/d2", size: 5 * G, medium: "disk", shared: true }]);
  });

  test("not sticky: where its agent has no room it starts elsewhere; sticky: it waits, saying where its data is", () => {
    for (const sticky of [false, true]) {
      const core = cluster([]);
      core.heartbeat(hb("a", [], 0, 0, 0, { ...devices("a"), total: { millicores: 500, memory: 8 * G, disk: 40 * G, ssd: 0 }, data: [data("db.0", "/a/d1")] }), 0);
      core.heartbeat(hb("b", [], 0, 0, 0, devices("b")), 0);
      core.tick(1);
      core.createGroup(db(sticky), 2);
      core.tick(3);
      const c = core.placement.get("db.0")!;
      expect(c.agent).toBe(sticky ? "" : "b");
      if (sticky) expect(c.lastError).toBe("1 agent: its data is on a, 1: no cpu");
    }
  });

  test("data is dropped only once its group is gone and its retention passed, and never while ResMan recovers", () => {
    const core = cluster([]);
    const info = { ...devices("a"), data: [data("db.0", "/a/d1", 60_000), data("web.0", "/a/d2")] };
    core.createGroup(db(), 1);
    const reply = (now: number) => core.heartbeat(hb("a", [], 1, 1, 0, info), now).reply.dropData;
    expect(reply(2)).toEqual(["web.0"]); // web is no group ResMan has; db is
    core.removeGroup("db");
    expect(reply(3)).toEqual(["web.0"]); // db's data is kept for its retention, counted from now
    expect(reply(60_002)).toEqual(["web.0"]);
    expect(reply(60_003)).toEqual(["db.0", "web.0"]);
    core.recovering = true;
    expect(reply(60_004)).toEqual([]);
  });
});
