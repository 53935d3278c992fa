// Volumes placed per device (issue 21): exclusivity both ways, sizes per device (not pooled per medium), the
// reason naming the device, a home (persistent data) preferred or required, and preemption giving devices back.
import { describe, expect, test } from "bun:test";
import { formatReasons } from "./checks.ts";
import { place } from "./place.ts";
import { agent, agentWith, container, G, group, res } from "./test-fixtures.ts";
import type { SchedAgent, SchedGroup } from "./types.ts";

const vol = (path: string, size: number, over: { exclusive?: boolean; medium?: string } = {}) => ({
  path, size, medium: over.medium ?? "disk", exclusive: over.exclusive ?? false, readonly: false, persistent: false, sticky: false, retentionMs: 0,
});
const twoDisks = (endpoint: string, over: Partial<SchedAgent> = {}) =>
  agent(endpoint, {
    total: res(4000, 8 * G, 40 * G),
    devices: [{ medium: "disk", path: `/${endpoint}/d1`, size: 20 * G }, { medium: "disk", path: `/${endpoint}/d2`, size: 20 * G }],
    ...over,
  });
/** A group whose pods each hold these volumes (their sizes in its disk resources, as AppMaster sends them). */
const withVolumes = (id: string, n: number, volumes: ReturnType<typeof vol>[], over: Partial<SchedGroup> = {}) =>
  group(id, n, { resources: res(100, G, volumes.reduce((s, v) => s + v.size, 0)), volumes, ...over });

describe("volumes on devices", () => {
  test("each shared volume is bound to a device with room, charged on that device: two 15G volumes take both devices", () => {
    const r = place([twoDisks("a")], [withVolumes("web", 3, [vol("/data", 15 * G)])], { seed: 1 });
    expect(r.placements.map((p) => p.bindings[0]!.hostPath).sort()).toEqual(["/a/d1", "/a/d2"]);
    expect(r.placements[0]!.bindings[0]).toMatchObject({ path: "/data", size: 15 * G, shared: true });
    // a third 15G volume fits the medium's pooled 10G? no, and neither device has 15G left: the device is named
    expect(r.outcomes[0]!.unplaced).toEqual(["web.2"]);
    expect(formatReasons(r.outcomes[0]!.reasons)).toBe("1 agent: no disk device has 15G free for /data (most: /a/d1, 5G)");
  });

  test("a volume larger than any device is refused naming the device even where the medium's total would hold it", () => {
    const r = place([twoDisks("a")], [withVolumes("big", 1, [vol("/data", 30 * G)])], { seed: 1 });
    expect(r.placements).toEqual([]);
    expect(Object.keys(r.outcomes[0]!.reasons)).toEqual(["no disk device has 30G free for /data (most: /a/d1, 20G)"]);
  });

  test("a big fleet's device reasons stay a few: past three agents' devices they count without the device", () => {
    const fleet = Array.from({ length: 6 }, (_, i) => twoDisks(`a${i}`));
    const r = place(fleet, [withVolumes("big", 1, [vol("/data", 30 * G)])], { seed: 1 });
    expect(Object.values(r.outcomes[0]!.reasons).reduce((s, n) => s + n, 0)).toBe(6);
    expect(Object.keys(r.outcomes[0]!.reasons).filter((k) => k.includes("(most: "))).toHaveLength(3);
    expect(r.outcomes[0]!.reasons["no disk device has 30G free for /data"]).toBe(3);
  });

  test("exclusive keeps shared volumes off its device, and takes no device that holds a shared volume", () => {
    const held = container("db.0", "service", res(100, G, 20 * G), { devices: ["/a/d1"] });
    const a = agentWith("a", [held], { total: res(4000, 8 * G, 40 * G), devices: twoDisks("a").devices });
    const r = place([a], [withVolumes("web", 2, [vol("/data", 8 * G)])], { seed: 1 });
    expect(r.placements.map((p) => p.bindings[0]!.hostPath)).toEqual(["/a/d2", "/a/d2"]);

    const shared = container("web.0", "service", res(100, G, 8 * G), { shares: [{ path: "/a/d2", size: 8 * G }] });
    const b = agentWith("b", [shared], { total: res(4000, 8 * G, 40 * G), devices: twoDisks("a").devices, deviceUsed: new Map([["/a/d2", 8 * G]]) });
    const x = place([b], [withVolumes("db", 2, [vol("/data", 10 * G, { exclusive: true })])], { seed: 1 });
    expect(x.placements.map((p) => p.bindings[0])).toEqual([{ path: "/data", hostPath: "/a/d1", size: 20 * G, medium: "disk", shared: false }]);
    expect(x.outcomes[0]!.reasons).toEqual({ "no exclusive disk device": 1 });
  });

  test("within one pod: an exclusive volume and a shared one never share a device", () => {
    const r = place([twoDisks("a")], [withVolumes("db", 1, [vol("/log", 5 * G), vol("/data", 10 * G, { exclusive: true })])], { seed: 1 });
    const b = r.placements[0]!.bindings;
    expect(new Set(b.map((x) => x.hostPath)).size).toBe(2);
    expect(b.find((x) => x.path === "/data")).toMatchObject({ shared: false, size: 20 * G });
  });

  test("an agent without devices of the medium keeps shared volumes in its data directory (no binding)", () => {
    const r = place([agent("a")], [withVolumes("web", 1, [vol("/data", 5 * G)])], { seed: 1 });
    expect(r.placements[0]!.bindings).toEqual([]);
  });

  test("home: the device holding the data is taken over the emptier one; sticky containers wait for their agent", () => {
    const used = new Map([["/a/d2", 2 * G]]);
    const home = { agent: "a", devices: { "/data": "/a/d2" }, sticky: false };
    const r = place([twoDisks("a", { deviceUsed: used }), twoDisks("b")], [withVolumes("db", 1, [vol("/data", 5 * G)], { home })], { seed: 1 });
    expect(r.placements[0]).toMatchObject({ agent: "a", bindings: [{ hostPath: "/a/d2" }] });

    const excl = place([twoDisks("a"), twoDisks("b")], [withVolumes("db", 1, [vol("/data", 5 * G, { exclusive: true })], { home })], { seed: 1 });
    expect(excl.placements[0]).toMatchObject({ agent: "a", bindings: [{ hostPath: "/a/d2", shared: false }] });

    const sticky = { ...home, sticky: true };
    const full = twoDisks("a", { assigned: res(4000, 0) });
    const s = place([full, twoDisks("b")], [withVolumes("db", 1, [vol("/data", 5 * G)], { home: sticky })], { seed: 1 });
    expect(s.placements).toEqual([]);
    expect(s.outcomes[0]!.reasons).toEqual({ "its data is on a": 1, "no cpu": 1 });
  });

  test("preemption gives an evicted container's device space back", () => {
    const victim = container("be.0", "best-effort", res(100, G, 15 * G), { shares: [{ path: "/a/d1", size: 15 * G }] });
    const a = agentWith("a", [victim], { total: res(4000, 8 * G, 20 * G), devices: [{ medium: "disk", path: "/a/d1", size: 20 * G }], deviceUsed: new Map([["/a/d1", 15 * G]]) });
    const r = place([a], [withVolumes("db", 1, [vol("/data", 10 * G)])], { seed: 1 });
    expect(r.placements[0]).toMatchObject({ victims: ["be.0"], bindings: [{ hostPath: "/a/d1", size: 10 * G }] });
  });
});
