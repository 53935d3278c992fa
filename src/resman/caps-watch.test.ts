import { describe, expect, test } from "bun:test";
import { CapsWatch, EXPIRY_SCAN_MS, MAX_WATCH_MS, WATCH_JITTER } from "./caps-watch.ts";
import { removeAgent } from "./core-admin.ts";
import { ResManCore } from "./core.ts";
import { cfg, cluster, group, hb, running } from "./test-fixtures.ts";

/** What the shell does after each tick: poke the watches of the agents in the core's outbox, then advance it. */
function send(w: CapsWatch, core: ResManCore, now: number): void {
  w.poke(now, core.ready().capsChanged);
  core.advance();
}

const req = (endpoint: string, capsVersion: number, waitMs = 10_000, capsEpoch = 1, epochSeen = 1) =>
  ({ endpoint, epochSeen, capsEpoch, capsVersion, waitMs });

const NO_JITTER = () => 0;

/** A settled promise's value, or "pending" (microtasks run first). */
async function state<T>(p: T | Promise<T>): Promise<T | "pending"> {
  return Promise.race([Promise.resolve(p), new Promise<"pending">((r) => setTimeout(() => r("pending"), 0))]);
}

describe("CapsWatch", () => {
  test("an agent behind is answered at once with its whole cap set", async () => {
    const core = cluster(["a"]);
    const w = new CapsWatch(() => core, NO_JITTER);
    const reply = await w.watch(req("a", 0), 10);
    expect(reply.capsChanged).toBe(true);
    expect(reply.capsVersion).toBe(core.agents.get("a")!.capsVersion);
    expect(w.size).toBe(0);
  });

  test("a current agent is parked and answered right after the tick that places on it", async () => {
    const core = cluster(["a"]);
    const w = new CapsWatch(() => core, NO_JITTER);
    const version = core.agents.get("a")!.capsVersion;
    const parked = w.watch(req("a", version), 10);
    send(w, core, 20);
    expect(await state(parked)).toBe("pending");
    expect(w.size).toBe(1);
    core.createGroup(group("web", 2), 30);
    core.tick(40);
    send(w, core, 40);
    const reply = await parked;
    expect(reply.capsChanged).toBe(true);
    expect(reply.caps.map((c) => c.containerId).sort()).toEqual(["web.0", "web.1"]);
    expect(reply.capsVersion).toBeGreaterThan(version);
    expect(w.size).toBe(0);
  });

  test("a parked watch ends with nothing new when its wait is over (capped at MAX_WATCH_MS, seen within EXPIRY_SCAN_MS)", async () => {
    const core = cluster(["a"]);
    const w = new CapsWatch(() => core, NO_JITTER);
    const v = core.agents.get("a")!.capsVersion;
    const short = w.watch(req("a", v, 500), 1000);
    send(w, core, 1499);
    expect(await state(short)).toBe("pending");
    send(w, core, 1499 + EXPIRY_SCAN_MS);
    expect((await short).capsChanged).toBe(false);
    const long = w.watch(req("a", v, 10 * MAX_WATCH_MS), 0);
    send(w, core, MAX_WATCH_MS - 1);
    expect(await state(long)).toBe("pending");
    send(w, core, MAX_WATCH_MS - 1 + EXPIRY_SCAN_MS);
    expect((await long).capsChanged).toBe(false);
  });

  test("wait_ms 0 answers at once; a newer watch of the same agent answers the older", async () => {
    const core = cluster(["a"]);
    const w = new CapsWatch(() => core, NO_JITTER);
    const v = core.agents.get("a")!.capsVersion;
    expect((await w.watch(req("a", v, 0), 0)).capsChanged).toBe(false);
    const first = w.watch(req("a", v), 0);
    const second = w.watch(req("a", v), 5);
    expect((await first).capsChanged).toBe(false);
    expect(await state(second)).toBe("pending");
    expect(w.size).toBe(1);
  });

  test("unknown agents, stale epochs and a leader stepping down are errors", async () => {
    const core = cluster(["a"]);
    const w = new CapsWatch(() => core, NO_JITTER);
    await expect(w.watch(req("nobody", 0), 0)).rejects.toThrow(/no agent "nobody"/);
    await expect(w.watch(req("a", 0, 1000, 1, 7), 0)).rejects.toThrow(/epoch 1 is older than epoch 7/);
    const parked = w.watch(req("a", core.agents.get("a")!.capsVersion), 0);
    w.close("this ResMan is no longer the leader");
    await expect(parked).rejects.toThrow(/no longer the leader/);
    expect(w.size).toBe(0);
  });

  test("an agent removed while its watch is parked ends the watch with not found", async () => {
    const core = cluster(["a"]);
    const w = new CapsWatch(() => core, NO_JITTER);
    send(w, core, 0); // the first expiry scan: the removal below must be seen without one
    const parked = w.watch(req("a", core.agents.get("a")!.capsVersion), 0);
    core.agents.get("a")!.dead = true; // a dead agent's containers go back to pending; it may be removed
    removeAgent(core, "a");
    send(w, core, 1);
    await expect(parked).rejects.toThrow(/no agent "a"/);
  });
});

describe("CapsWatch cost", () => {
  test("between expiry scans a tick looks only at agents whose caps changed", async () => {
    const core = cluster(["a", "b"]);
    const w = new CapsWatch(() => core, NO_JITTER);
    send(w, core, 0); // the first scan
    const pa = w.watch(req("a", core.agents.get("a")!.capsVersion), 0);
    const pb = w.watch(req("b", core.agents.get("b")!.capsVersion), 0);
    core.bumpCaps(core.agents.get("b")!);
    send(w, core, 10); // sends the core's outbox of changed agents (b) and advances it
    expect([...core.ready().capsChanged]).toEqual([]);
    expect((await pb).capsChanged).toBe(true);
    expect(await state(pa)).toBe("pending");
  });
});

describe("CapsWatch expiry cost", () => {
  test("an expiry scan visits the watches that end in it, not every parked one", async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `a${i}`);
    const core = cluster(names);
    const w = new CapsWatch(() => core, NO_JITTER);
    const ended: string[] = [];
    names.forEach((n, i) => void w.watch(req(n, core.agents.get(n)!.capsVersion, i < 10 ? 1_000 : 20_000), 0).then(() => ended.push(n)));
    let looked = 0;
    const get = core.agents.get.bind(core.agents);
    core.agents.get = (k: string) => (looked++, get(k));
    for (let now = 0; now <= 1_000 + EXPIRY_SCAN_MS; now += EXPIRY_SCAN_MS) send(w, core, now);
    await state(null);
    expect(ended.length).toBe(10);
    expect(looked).toBe(10);
    for (let now = 1_000 + 2 * EXPIRY_SCAN_MS; now <= 20_000 + EXPIRY_SCAN_MS; now += EXPIRY_SCAN_MS) send(w, core, now);
    await state(null);
    expect(ended.length).toBe(1000);
    expect(looked).toBe(1000);
    expect(w.size).toBe(0);
  });
});

describe("CapsWatch never speaks for an agent ResMan has not heard from", () => {
  test("after a failover, a watch waits for the agent's first report; the caps then include what it runs", async () => {
    const core = cluster(["a"]);
    core.createGroup(group("web", 1), 1);
    core.tick(2);
    const c = [...core.placement.containers.values()][0]!;
    const next = new ResManCore(cfg, 2, { agents: [...core.agents.values()], groups: [...core.groups.values()], pools: ["default"] }, 100, core.users);
    const w = new CapsWatch(() => next, NO_JITTER);
    // the agent holds epoch 1's caps; the new leader's set for it is still empty: it must not be sent
    expect((await w.watch(req("a", 5, 0, 1, 1), 100)).capsChanged).toBe(false);
    const parked = w.watch(req("a", 5, 10_000, 1, 1), 100);
    send(w, next, 200);
    expect(await state(parked)).toBe("pending");
    next.heartbeat(hb("a", [running({ containerId: c.id, groupId: c.group, ports: c.ports })], 1, 1, 5), 300);
    send(w, next, 300);
    const reply = await parked;
    expect(reply).toMatchObject({ epoch: 2, capsChanged: true });
    expect(reply.caps.map((x) => x.containerId)).toEqual([c.id]);
  });

  test("a dead agent's watch gets nothing until it heartbeats again", async () => {
    const core = cluster(["a", "b"]);
    core.heartbeat(hb("a", [], 1, 1, core.agents.get("a")!.capsVersion), 0);
    core.tick(cfg.agentTimeoutMs + 10);
    expect(core.agents.get("b")!.dead).toBe(true);
    const w = new CapsWatch(() => core, NO_JITTER);
    const parked = w.watch(req("b", 0, 500), cfg.agentTimeoutMs + 10);
    send(w, core, cfg.agentTimeoutMs + 20);
    expect(await state(parked)).toBe("pending");
    send(w, core, cfg.agentTimeoutMs + 10 + 500 + EXPIRY_SCAN_MS);
    expect((await parked).capsChanged).toBe(false);
  });
});

describe("watches parked together do not end together", () => {
  test("each ends at random in the last WATCH_JITTER of its wait, none early, none late", async () => {
    const names = Array.from({ length: 400 }, (_, i) => `a${i}`);
    const core = cluster(names);
    let seed = 7;
    const w = new CapsWatch(() => core, () => ((seed = (seed * 16807) % 2147483647) / 2147483647));
    const wait = 20_000;
    const ended = new Map<string, number>();
    let now = 1_000;
    for (const n of names) void w.watch(req(n, core.agents.get(n)!.capsVersion, wait), now).then(() => ended.set(n, now));
    const step = 50;
    for (; now <= 1_000 + wait + EXPIRY_SCAN_MS; now += step) {
      send(w, core, now);
      await state(null);
    }
    expect(ended.size).toBe(names.length);
    const at = [...ended.values()].map((t) => t - 1_000);
    expect(Math.min(...at)).toBeGreaterThanOrEqual(wait * (1 - WATCH_JITTER));
    expect(Math.max(...at)).toBeLessThanOrEqual(wait + EXPIRY_SCAN_MS);
    // spread over the jitter window: no expiry scan answers more than a few times its fair share
    const perScan = new Map<number, number>();
    for (const t of at) perScan.set(t, (perScan.get(t) ?? 0) + 1);
    const scans = (wait * WATCH_JITTER) / EXPIRY_SCAN_MS;
    expect(Math.max(...perScan.values())).toBeLessThanOrEqual((3 * names.length) / scans);
    expect(perScan.size).toBeGreaterThanOrEqual(scans * 0.8);
  });
});

describe("cap versions never go back for an agent", () => {
  test("an agent removed and back within the epoch counts on from the version it holds", () => {
    const core = cluster(["a"]);
    core.agents.delete("a");
    const { reply } = core.heartbeat(hb("a", [], 1, 1, 41), 100);
    expect(reply.capsVersion).toBe(42);
    expect(reply.capsChanged).toBe(true);
    const other = core.heartbeat(hb("b", [], 1, 0, 0), 100).reply;
    expect(other.capsVersion).toBe(1);
  });
});
