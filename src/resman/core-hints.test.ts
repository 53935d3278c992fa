import { describe, expect, test } from "bun:test";
import type { ContainerReport, Hint } from "../rpc/types.ts";
import { seededRandom } from "../scheduler/random.ts";
import { setAgentAdmin } from "./core-admin.ts";
import { ResManCore } from "./core.ts";
import { cfg, cluster, G, group, hb, reportAll, running } from "./test-fixtures.ts";
import { hints, hintsReply } from "./views.ts";

const ask = (core: ResManCore, since: number, sinceEpoch = core.epoch) => hintsReply(core, { all: true, groups: [], since, sinceEpoch });
const ids = (hs: Hint[]) => hs.map((h) => h.groupId).sort();

/** Every agent reports what it runs; `change` may alter one container's report. */
function reportWith(core: ResManCore, now: number, change: (r: ContainerReport) => ContainerReport = (r) => r): void {
  for (const a of core.agents.values()) {
    if (a.dead) continue;
    const reports = core.placement.ofAgent(a.endpoint).map((c) => change(running({ containerId: c.id, groupId: c.group, ports: c.ports })));
    core.heartbeat(hb(a.endpoint, reports, 1, 1, a.capsVersion), now);
  }
}

function placed(): ResManCore {
  const core = cluster(["a", "b"]);
  core.createGroup(group("web", 2), 1);
  core.createGroup(group("job", 2, "batch"), 1);
  core.tick(2);
  reportAll(core, 3);
  return core;
}

describe("incremental hints (GetHints since)", () => {
  test("nothing changed: nothing sent; one container's change sends exactly its group, whole", () => {
    const core = placed();
    const first = ask(core, 0);
    expect(first.full).toBe(true);
    expect(ids(first.hints)).toEqual(["job", "web"]);
    reportAll(core, 4); // the same reports again
    const quiet = ask(core, first.version);
    expect(quiet).toMatchObject({ full: false, hints: [], removedGroups: [], version: first.version });
    const jobVersion = core.hintVersions.of("job");
    reportWith(core, 5, (r) => (r.containerId === "web.1" ? { ...r, pid: 4242 } : r));
    expect(core.hintVersions.of("job")).toBe(jobVersion);
    const next = ask(core, quiet.version);
    expect(next.full).toBe(false);
    expect(ids(next.hints)).toEqual(["web"]);
    expect(next.hints[0]!.containers.map((c) => [c.id, c.pid])).toEqual([["web.0", 100], ["web.1", 4242]]);
    expect(next.version).toBeGreaterThan(quiet.version);
  });

  test("every reply that tells a version (named groups too) makes later changes newer than it", () => {
    const core = placed();
    ask(core, 0);
    reportWith(core, 4, (r) => (r.containerId === "web.0" ? { ...r, pid: 7 } : r)); // web's version: unread
    const named = hintsReply(core, { all: false, groups: [], since: 0, sinceEpoch: 0 });
    expect(named.version).toBe(core.hintVersions.of("web"));
    reportWith(core, 5, (r) => (r.containerId === "web.0" ? { ...r, pid: 8 } : r));
    expect(ids(ask(core, named.version).hints)).toEqual(["web"]);
  });

  test("a group removed, or scaled to nothing, is reported removed", () => {
    const core = placed();
    const v0 = ask(core, 0).version;
    core.removeGroup("job");
    const r1 = ask(core, v0);
    expect(r1).toMatchObject({ full: false, hints: [], removedGroups: ["job"] });
    core.scaleGroup("web", 0, 6);
    const r2 = ask(core, r1.version);
    expect(r2).toMatchObject({ hints: [], removedGroups: ["web"] });
    expect(ask(core, 0).hints).toEqual([]);
  });

  test("another ResMan epoch, since 0, or a since it never gave: everything, full", () => {
    const core = placed();
    const v = ask(core, 0).version;
    expect(ask(core, v, core.epoch - 1).full).toBe(true);
    expect(ask(core, v, core.epoch + 1).full).toBe(true);
    expect(ask(core, v + 100).full).toBe(true);
    expect(ask(core, v).full).toBe(false);
    const next = new ResManCore(cfg, 2, { agents: [...core.agents.values()], groups: [...core.groups.values()], pools: ["default"] }, 10);
    const r = ask(next, v, 1);
    expect(r.full).toBe(true);
    expect(r.epoch).toBe(2);
    expect(ids(r.hints)).toEqual(["job", "web"]);
  });

  test("agent timeout (lost, revoked), AppMaster's reschedule and pending reasons each send their group", () => {
    const core = placed();
    let v = ask(core, 0).version;
    const next = (): string[] => {
      const r = ask(core, v);
      v = r.version;
      return ids(r.hints);
    };
    const victim = core.placement.get("web.0")!.agent;
    const other = victim === "a" ? "b" : "a";
    const onVictim = [...new Set(core.placement.ofAgent(victim).map((c) => c.group))].sort();
    core.heartbeat(hb(other, core.placement.ofAgent(other).map((c) => running({ containerId: c.id, groupId: c.group, ports: c.ports })), 1, 1, core.agents.get(other)!.capsVersion), 20_000);
    core.tick(20_001);
    expect(core.placement.get("web.0")!.state).toBe("lost");
    expect(next()).toEqual(onVictim); // web: lost; job (batch): revoked and placed again
    core.rescheduleContainer("web.0", "lost too long");
    expect(next()).toEqual(["web"]);
    core.createGroup(group("big", 1, "service", { resources: { millicores: 1000, memory: 64 * G, disk: 0, ssd: 0 } }), 20_002);
    expect(next()).toEqual(["big"]);
    core.tick(20_003);
    expect(core.placement.get("big.0")!.lastError).toMatch(/no memory/);
    expect(next()).toContain("big");
    core.tick(30_000); // the retry pass: web.0, placed again, now takes the cpu that was free: new reasons
    expect(next()).toContain("big");
    reportWith(core, 35_000);
    core.tick(35_001); // a retry pass that finds the same reasons: nothing new for big
    expect(next()).not.toContain("big");
  });

  test("usage alone does not make a group new at once; it follows at the usage rate", () => {
    const core = cluster(["a", "b"], { usageHintsPerSec: 1 });
    core.createGroup(group("web", 2), 1);
    core.tick(2);
    reportAll(core, 3);
    const v = ask(core, 0).version;
    reportWith(core, 4, (r) => ({ ...r, usage: { millicores: 7, memoryRss: 1, memoryCache: 0, disk: 0, at: 4 } }));
    core.tick(5);
    expect(ask(core, v).hints).toEqual([]);
    core.tick(2_100); // two containers' worth at 1 per second
    const r = ask(core, v);
    expect(ids(r.hints)).toEqual(["web"]);
    expect(r.hints[0]!.containers[0]!.usage.millicores).toBe(7);
  });

  test("random operations: the merged incremental replies always equal one full reply", () => {
    for (let seed = 1; seed <= 20; seed++) checkRandomRun(seed);
  });
});

/** Drives a core through random operations; after each, a reader holding merged replies must hold the full hints. */
function checkRandomRun(seed: number): void {
  const rand = seededRandom(seed);
  const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(rand() * xs.length)];
  const core = cluster(["a", "b", "c"]);
  const held = new Map<string, string>();
  let version = 0;
  let now = 10;
  const text = (h: Hint) => JSON.stringify(h, (k, v) => (k === "usage" ? undefined : v));
  for (let step = 0; step < 120; step++) {
    now += 100 + Math.floor(rand() * 3_000);
    const groups = [...core.groups.keys()];
    const op = Math.floor(rand() * 10);
    const resources = { millicores: pick([500, 1000, 3000])!, memory: pick([1, 2, 9])! * G, disk: 0, ssd: 0 }; // 9G never fits
    if (op === 0) core.createGroup(group(`g${step}`, 1 + Math.floor(rand() * 4), pick(["service", "batch", "best-effort"])!, { resources }), now);
    else if (op === 9 && groups.length) {
      const g = core.groups.get(pick(groups)!)!.spec;
      core.updateGroup({ ...g, resources, jobType: rand() < 0.3 ? pick(["service", "batch", "monitor"])! : g.jobType }, now);
    }
    else if (op === 1 && groups.length) core.scaleGroup(pick(groups)!, Math.floor(rand() * 5), now);
    else if (op === 2 && groups.length) core.removeGroup(pick(groups)!);
    else if (op === 3) reportWith(core, now, (r) => (rand() < 0.2 ? { ...r, state: pick(["running", "exited", "failed"])!, pid: Math.floor(rand() * 9) } : r));
    else if (op === 4) {
      const c = pick([...core.placement.containers.values()].filter((x) => x.agent));
      if (c) core.rescheduleContainer(c.id, "moved");
    } else if (op === 5) setAgentAdmin(core, pick(["a", "b", "c"])!, pick(["active", "draining", "offline"])!);
    else if (op === 6) now += 11_000; // agents silent past the timeout (the next tick)
    else reportAll(core, now);
    core.tick(now);
    const r = ask(core, version);
    if (r.full) held.clear();
    for (const h of r.hints) held.set(h.groupId, text(h));
    for (const g of r.removedGroups) held.delete(g);
    version = r.version;
    const full = new Map(hints(core, null).map((h) => [h.groupId, text(h)]));
    expect({ seed, step, held: Object.fromEntries(held) }).toEqual({ seed, step, held: Object.fromEntries(full) });
  }
}

describe("what a hint says of a placed container", () => {
  test("its placement time, and the agent's reason when the agent failed it, on the next heartbeat", () => {
    const core = placed();
    const before = ask(core, 0);
    const web0 = before.hints.find((h) => h.groupId === "web")!.containers[0]!;
    expect(web0.placedAt).toBe(2); // placed by the tick at 2
    expect(web0.lastError).toBe("");
    const why = "placement failed: port 8080 (http) is already in use on this host";
    reportWith(core, 5, (r) => (r.containerId === "web.0" ? { ...r, state: "failed", message: why } : r));
    const next = ask(core, before.version);
    expect(ids(next.hints)).toEqual(["web"]);
    expect(next.hints[0]!.containers[0]).toMatchObject({ state: "failed", message: why, lastError: why, placedAt: 2 });
    expect(hints(core, ["web"])[0]!.containers.map((c) => c.placedAt)).toEqual([2, 2]);
  });

  test("a full report without a container it ran: allocated again (no hint says it runs), its agent builds it again", () => {
    const core = placed();
    const before = ask(core, 0);
    const a = core.placement.get("web.0")!.agent;
    const rest = core.placement.ofAgent(a).filter((c) => c.id !== "web.0").map((c) => running({ containerId: c.id, groupId: c.group, ports: c.ports }));
    core.heartbeat(hb(a, rest, 1, 1, core.agents.get(a)!.capsVersion), 6);
    const c = core.placement.get("web.0")!;
    expect([c.agent, c.state, c.pid, c.message]).toEqual([a, "allocated", 0, "its agent no longer has it; it is made again"]);
    expect(core.capsFor(a).map((x) => x.containerId)).toContain("web.0");
    expect(ids(ask(core, before.version).hints)).toContain("web");
    // a delta without it says nothing of it; nor does a full report of one it never ran
    core.heartbeat({ ...hb(a, [], 1, 1, core.agents.get(a)!.capsVersion), full: false }, 7);
    expect(core.placement.get("web.0")!.state).toBe("allocated");
  });
});
