import { describe, expect, test } from "bun:test";
import { formatReasons } from "./checks.ts";
import { MIN_BATCH, place } from "./place.ts";
import { agent, agentWith, container, G, group, res } from "./test-fixtures.ts";
import type { SchedAgent } from "./types.ts";

describe("place", () => {
  test("bin-pack fills one agent before the next", () => {
    const r = place([agent("a"), agent("b")], [group("web", 3)], { seed: 1 });
    expect(r.placements).toHaveLength(3);
    expect(new Set(r.placements.map((p) => p.agent)).size).toBe(1);
  });

  test("spread deals one per agent", () => {
    const r = place([agent("a"), agent("b"), agent("c")], [group("web", 3, { spread: true })], { seed: 1 });
    expect(new Set(r.placements.map((p) => p.agent)).size).toBe(3);
  });

  test("bin-pack prefers the fuller agent", () => {
    const full = agent("full", { assigned: res(2000, 0) });
    const r = place([agent("empty"), full], [group("web", 1)], { seed: 7 });
    expect(r.placements[0]!.agent).toBe("full");
  });

  test("ties fall to the seeded shuffle, not to input order", () => {
    const agents = Array.from({ length: 8 }, (_, i) => agent(`a${i}`));
    const firsts = new Set(Array.from({ length: 20 }, (_, seed) => place(agents, [group("web", 1)], { seed }).placements[0]!.agent));
    expect(firsts.size).toBeGreaterThan(1);
  });

  test("unplaced containers carry reasons counted per agent", () => {
    const r = place(
      [agent("a"), agent("b", { pool: "other" }), agent("c", { state: "offline" })],
      [group("big", 6, { resources: res(1000, 3 * G) })],
      { seed: 1 },
    );
    expect(r.placements).toHaveLength(2);
    expect(r.outcomes[0]!.reasons).toEqual({ pool: 1, "agent offline": 1, "no memory": 1 });
    expect(formatReasons(r.outcomes[0]!.reasons)).toBe("1 agent: agent offline, 1: no memory, 1: pool");
  });

  test("max_per_host, labels and blacklist", () => {
    const agents = [agent("a", { labels: ["ssd"] }), agent("b", { labels: ["ssd"] }), agent("c")];
    const r = place(agents, [group("web", 3, { maxPerHost: 1, labels: ["ssd"], blacklist: ["b"] })], { seed: 3 });
    expect(r.placements.map((p) => p.agent)).toEqual(["a"]);
    expect(r.outcomes[0]!.reasons).toEqual({ labels: 1, blacklist: 1, max_per_host: 1 });
  });

  test("dynamic ports are distinct and in range; a fixed port is taken once per agent", () => {
    const r = place([agent("a", { usedPorts: new Set([20000]) })], [
      group("web", 3, { ports: [{ name: "http", port: 0 }, { name: "admin", port: 0 }], resources: res(1, 1) }),
      group("fix", 2, { ports: [{ name: "http", port: 8080 }], resources: res(1, 1) }),
    ], { seed: 1 });
    const ports = r.placements.filter((p) => p.groupId === "web").flatMap((p) => p.ports.map((x) => x.port));
    expect(new Set(ports).size).toBe(6);
    expect(ports.every((p) => p > 20000 && p <= 20099)).toBe(true);
    expect(r.placements.filter((p) => p.groupId === "fix")).toHaveLength(1);
  });

  test("more important groups are placed first", () => {
    const small = agent("a", { total: res(1000, 8 * G) });
    const r = place([small], [group("b", 1, { jobType: "batch" }), group("s", 1)], { seed: 1, preempt: false });
    expect(r.placements.map((p) => p.groupId)).toEqual(["s"]);
  });

  test("an exclusive volume takes the smallest device that holds it, charged whole", () => {
    const a = agent("a", {
      total: res(4000, 8 * G, 1100 * G),
      devices: [{ medium: "disk", path: "/big", size: 1000 * G }, { medium: "disk", path: "/small", size: 100 * G }],
    });
    const g = group("db", 2, { resources: res(100, G, 50 * G), volumes: [{ path: "/data", size: 50 * G, medium: "disk", exclusive: true, readonly: false, persistent: false, sticky: false, retentionMs: 0 }] });
    const r = place([a], [g], { seed: 1 });
    expect(r.placements.map((p) => p.bindings[0]!.hostPath)).toEqual(["/small", "/big"]);
    expect(r.placements.map((p) => p.charged.disk)).toEqual([100 * G, 1000 * G]);
  });

  test("best-effort is placed deep on idle resources; a service then preempts it", () => {
    const busy = agent("a", { total: res(2000, 4 * G), assigned: res(2000, 4 * G), idle: res(1000, 2 * G) });
    const be = place([busy], [group("be", 1, { jobType: "best-effort", resources: res(500, G) })], { seed: 1 });
    expect(be.placements).toHaveLength(1);
    const svc = place([busy], [group("svc", 1, { resources: res(500, G) })], { seed: 1 });
    expect(svc.placements).toHaveLength(0);
  });

  test("identical containers share one feasibility pass: agents are not re-scanned per container", () => {
    let reads = 0;
    const counted = (a: SchedAgent): SchedAgent => Object.defineProperty({ ...a }, "state", { get: () => (reads++, "alive") }) as SchedAgent;
    const agents = Array.from({ length: 200 }, (_, i) => counted(agent(`a${i}`, { total: res(4000, 8 * G) })));
    const r = place(agents, [group("web", 400, { resources: res(1000, G) })], { seed: 1 });
    expect(r.placements).toHaveLength(400);
    expect(reads).toBeLessThan(4 * (200 + 400)); // a scan per container would be 80,000
  });

  test("a small group reads a batch of the fleet, not all of it; many small bin-pack groups still pack", () => {
    let reads = 0;
    const counted = (a: SchedAgent): SchedAgent => Object.defineProperty({ ...a }, "state", { get: () => (reads++, "alive") }) as SchedAgent;
    const fleet = Array.from({ length: 1000 }, (_, i) => counted(agent(`a${i}`)));
    place(fleet, [group("one", 1)], { seed: 1 });
    expect(reads).toBeLessThan(MIN_BATCH * 2);
    const groups = Array.from({ length: 40 }, (_, i) => group(`g${i}`, 1, { resources: res(1000, G) }));
    const r = place(fleet, groups, { seed: 2 });
    expect(r.placements).toHaveLength(40);
    expect(new Set(r.placements.map((p) => p.agent)).size).toBe(10); // 4 per agent, fullest first
  });

  test("preemption: a service evicts the fewest, least important containers", () => {
    const a = agentWith("a", [container("b1.0", "batch", res(1000, G)), container("b2.0", "batch", res(3000, G))], { total: res(4000, 8 * G) });
    const b = agentWith("b", [container("e.0", "best-effort", res(2000, G)), container("e.1", "best-effort", res(2000, G))], { total: res(4000, 8 * G) });
    const r = place([a, b], [group("svc", 1, { resources: res(3000, G) })], { seed: 1 });
    expect(r.placements[0]).toMatchObject({ agent: "a", victims: ["b2.0"] });
    expect(r.evictions).toEqual([{ containerId: "b2.0", groupId: "b2", agent: "a", by: "svc.0", byType: "service" }]);
  });

  test("preemption prefers less important victims when the count is equal", () => {
    const a = agentWith("a", [container("b.0", "batch", res(4000, G))], { total: res(4000, 8 * G) });
    const b = agentWith("b", [container("e.0", "best-effort", res(4000, G))], { total: res(4000, 8 * G) });
    for (const seed of [1, 2, 3, 4]) {
      expect(place([a, b], [group("svc", 1, { resources: res(1000, G) })], { seed }).placements[0]!.victims).toEqual(["e.0"]);
    }
  });

  test("never preempts an equal or more important container", () => {
    const a = agentWith("a", [container("s.0", "service", res(4000, G)), container("m.0", "monitor", res(0, G))], { total: res(4000, 8 * G) });
    const r = place([a], [group("svc", 1, { resources: res(1000, G) })], { seed: 1 });
    expect(r.placements).toEqual([]);
    expect(r.outcomes[0]!.reasons).toEqual({ "no cpu": 1 });
    expect(place([a], [group("be", 1, { jobType: "best-effort" })], { seed: 1 }).evictions).toEqual([]);
  });

  test("preemption frees a fixed port and a batch slot", () => {
    const a = agentWith("a", [container("b.0", "batch", res(10, 10), { ports: [8080] })], { maxBatch: 1 });
    const r = place([a], [group("svc", 1, { ports: [{ name: "h", port: 8080 }], resources: res(10, 10) })], { seed: 1 });
    expect(r.placements[0]!.victims).toEqual(["b.0"]);
    const r2 = place([a], [group("b2", 1, { jobType: "batch", resources: res(10, 10) })], { seed: 1 });
    expect(r2.placements).toEqual([]); // equal importance: the batch cap holds
  });
});
