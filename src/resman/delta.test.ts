// Delta heartbeats in ResMan's core: a delta from an agent known in full updates only what it names; one from an
// agent this leader does not know in full (after a failover, or declared dead) decides nothing and asks for the full
// report.
import { describe, expect, test } from "bun:test";
import type { AgentInfo } from "../rpc/types.ts";
import { ResManCore, sameAgentInfo } from "./core.ts";
import { cfg, cluster, group, hb, info, running } from "./test-fixtures.ts";

const delta = (...args: Parameters<typeof hb>) => ({ ...hb(...args), full: false });

function placedOnA() {
  const core = cluster(["a"]);
  core.createGroup(group("web", 2), 1);
  core.tick(2);
  const reports = core.placement.ofAgent("a").map((c) => running({ containerId: c.id, groupId: c.group, ports: c.ports }));
  core.heartbeat(hb("a", reports, 1, 1, core.agents.get("a")!.capsVersion), 3);
  return { core, reports };
}

describe("delta heartbeats", () => {
  test("an empty delta keeps every container as it was; a delta updates only the one it names", () => {
    const { core, reports } = placedOnA();
    const v = core.agents.get("a")!.capsVersion;
    const quiet = core.heartbeat(delta("a", [], 1, 1, v), 1000).reply;
    expect(quiet).toMatchObject({ capsChanged: false, wantFull: false });
    expect(core.placement.ofAgent("a").map((c) => c.state)).toEqual(["running", "running"]);
    expect(core.agents.get("a")!.lastHeartbeat).toBe(1000);
    const exited = { ...reports[0]!, state: "exited", exitCode: 3 };
    core.heartbeat(delta("a", [exited], 1, 1, v), 2000);
    const states = Object.fromEntries(core.placement.ofAgent("a").map((c) => [c.id, c.state]));
    expect(states).toEqual({ [reports[0]!.containerId]: "exited", [reports[1]!.containerId]: "running" });
  });

  test("after a failover a delta decides nothing (no liveness, no caps) and asks for the full report", () => {
    const { core, reports } = placedOnA();
    const next = new ResManCore(cfg, 2, { agents: [...core.agents.values()], groups: [...core.groups.values()], pools: ["default"] }, 100, core.users);
    const r = next.heartbeat(delta("a", [], 1, 1, 5), 200).reply;
    expect(r).toMatchObject({ epoch: 2, capsChanged: false, caps: [], wantFull: true });
    expect(next.agents.get("a")!.reported).toBe(false);
    expect(next.placement.ofAgent("a")).toEqual([]);
    const full = next.heartbeat(hb("a", reports, 1, 1, 5), 300).reply;
    expect(full.wantFull).toBe(false);
    expect(full.caps.map((c) => c.containerId).sort()).toEqual(reports.map((x) => x.containerId).sort());
    expect(next.agents.get("a")!.reported).toBe(true);
  });

  test("an agent declared dead is not revived by a delta; its full report revives it", () => {
    const core = cluster(["a", "b"]);
    core.heartbeat(hb("a", [], 1, 1, 0), cfg.agentTimeoutMs);
    core.tick(cfg.agentTimeoutMs + 10);
    expect(core.agents.get("b")!.dead).toBe(true);
    expect(core.heartbeat(delta("b", [], 1, 1, 0), cfg.agentTimeoutMs + 20).reply.wantFull).toBe(true);
    expect(core.agents.get("b")!.dead).toBe(true);
    expect(core.heartbeat(hb("b", [], 1, 1, 0), cfg.agentTimeoutMs + 30).reply.wantFull).toBe(false);
    expect(core.agents.get("b")!.dead).toBe(false);
  });

  test("a new agent whose first heartbeat is a delta is registered but asked for its full report", () => {
    const core = cluster(["a"]);
    expect(core.heartbeat(delta("new", [], 1, 0, 0), 50).reply.wantFull).toBe(true);
    expect(core.agents.get("new")!.reported).toBe(false);
  });
});

describe("sameAgentInfo (every full report compares the agent's self-description)", () => {
  test("a restarted agent's new info is taken from its full report; deltas carry the same info and are not compared", () => {
    const { core } = placedOnA();
    const v = () => core.agents.get("a")!.capsVersion;
    core.heartbeat(delta("a", [], 1, 1, v(), { labels: ["changed-without-a-restart"] }), 4);
    expect(core.agents.get("a")!.info.labels).toEqual([]);
    const { writes } = core.heartbeat(hb("a", [], 1, 1, v(), { labels: ["gpu"], startedAt: 99 }), 5);
    expect(core.agents.get("a")!.info).toMatchObject({ labels: ["gpu"], startedAt: 99 });
    expect(writes.some((w) => w.table === "agents" && w.key === "a")).toBe(true);
  });

  test("equal copies are the same; any field that differs is a change", () => {
    const a = info("x", { labels: ["ssd"], volumes: [{ medium: "disk", path: "/d", size: 10, free: 0 }] });
    expect(sameAgentInfo(a, structuredClone(a))).toBe(true);
    const changes: Partial<AgentInfo>[] = [
      { pool: "gpu" }, { labels: ["ssd", "gpu"] }, { labels: ["hdd"] }, { total: { ...a.total, memory: 1 } }, { portMax: 1 },
      { isolation: "cgroup-v2" }, { hostname: "h2" }, { version: "v2" }, { startedAt: 9 }, { maxBatch: 3 },
      { volumes: [{ medium: "disk", path: "/d", size: 11, free: 0 }] }, { volumes: [] }, { cannotEnforce: ["io weight: no blkio.weight"] },
      { data: [{ containerId: "db.0", groupId: "db", path: "/data", device: "/d", size: 1, retentionMs: 0 }] },
    ];
    for (const c of changes) expect(sameAgentInfo(a, { ...a, ...c })).toBe(false);
    expect(sameAgentInfo(a, { ...a, volumes: [{ medium: "disk", path: "/d", size: 10, free: 5 }] })).toBe(true); // free space moves
  });

  test("a full report whose info differs only in devices' free space is taken without a write", () => {
    const { core } = placedOnA();
    const v = () => core.agents.get("a")!.capsVersion;
    const { writes } = core.heartbeat(hb("a", [], 1, 1, v(), { volumes: [] }), 4);
    expect(writes.filter((w) => w.table === "agents")).toEqual([]);
    core.heartbeat(hb("a", [], 1, 1, v(), { volumes: [{ medium: "disk", path: "/d", size: 10, free: 0 }] }), 5);
    const again = core.heartbeat(hb("a", [], 1, 1, v(), { volumes: [{ medium: "disk", path: "/d", size: 10, free: 7 }] }), 6);
    expect(again.writes.filter((w) => w.table === "agents")).toEqual([]);
    expect(core.agents.get("a")!.info.volumes[0]!.free).toBe(7);
  });
});
