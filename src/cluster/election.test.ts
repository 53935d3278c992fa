import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterDir } from "./cluster-dir.ts";
import { campaign } from "./election.ts";
import type { Leadership } from "./leadership.ts";

let root = "";
const held: Leadership[] = [];
const aborts: AbortController[] = [];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "galaxy-elect-"));
});
afterEach(() => {
  for (const a of aborts.splice(0)) a.abort();
  for (const l of held.splice(0)) l.release();
  rmSync(root, { recursive: true, force: true });
});

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

/** Polls `cond` for `ms` and fails if it ever becomes true. */
async function stillFalse(cond: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    expect(cond()).toBe(false);
    await Bun.sleep(5);
  }
}

/** Starts a campaign that is cancelled after the test; records its log and its result. */
function start(opts: Partial<Parameters<typeof campaign>[0]> & { addr: string }) {
  const ac = new AbortController();
  aborts.push(ac);
  const logs: string[] = [];
  const r = { logs, won: null as Leadership | null, error: null as unknown };
  campaign({ clusterDir: new ClusterDir(root), role: "resman", pollMs: 10, log: (m) => logs.push(m), ...opts }, ac.signal)
    .then((l) => {
      held.push(l);
      r.won = l;
    })
    .catch((e) => (r.error = e));
  return r;
}

test("the first campaign wins epoch 1; a second waits, and wins epoch 2 after release()", async () => {
  const a = await campaign({ clusterDir: new ClusterDir(root), role: "resman", addr: "a:1645", pollMs: 10 });
  held.push(a);
  expect(a.epoch).toBe(1);
  expect(a.isLeader()).toBe(true);
  const dir = new ClusterDir(root);
  expect(dir.readLeader("resman")).toMatchObject({ addr: "a:1645", epoch: 1, pid: process.pid });
  expect(dir.readEpoch("resman")).toBe(1);

  const b = start({ addr: "b:1645" });
  await until(() => b.logs.some((m) => m.includes("standby")), 2000, "b to stand by");
  await stillFalse(() => b.won !== null, 100); // ten more polls of b

  expect(a.isLeader()).toBe(true);

  a.release();
  expect(a.isLeader()).toBe(false);
  await a.lost(); // resolves after release
  await until(() => b.won !== null, 2000, "b to win");
  expect(b.won!.epoch).toBe(2);
  expect(dir.readLeader("resman")).toMatchObject({ addr: "b:1645", epoch: 2 });
  expect(dir.readEpoch("resman")).toBe(2);
});

test("the appmaster and resman elections are independent", async () => {
  const r = await campaign({ clusterDir: new ClusterDir(root), role: "resman", addr: "r:1", pollMs: 10 });
  const m = await campaign({ clusterDir: new ClusterDir(root), role: "appmaster", addr: "m:1", pollMs: 10 });
  held.push(r, m);
  expect([r.epoch, m.epoch]).toEqual([1, 1]);
});

test("an aborted campaign rejects", async () => {
  held.push(await campaign({ clusterDir: new ClusterDir(root), role: "resman", addr: "a:1", pollMs: 10 }));
  const ac = new AbortController();
  const p = campaign({ clusterDir: new ClusterDir(root), role: "resman", addr: "b:1", pollMs: 10 }, ac.signal);
  ac.abort();
  await expect(p).rejects.toThrow();
});

test("a leader whose lease is not renewed is deposed; it notices and does not overwrite the new leader file", async () => {
  // a's clock is frozen, so its renewals never advance `renewed`; b's clock is moved past the lease by the test.
  const a = await campaign({ clusterDir: new ClusterDir(root), role: "resman", addr: "a:1", pollMs: 10, leaseMs: 60, now: () => 1000 });
  held.push(a);
  let bNow = 1000;
  const b = start({ addr: "b:1", leaseMs: 60_000, now: () => bNow });
  await until(() => b.logs.some((m) => m.includes("standby")), 2000, "b to stand by");
  expect(b.won).toBeNull();
  bNow = 1000 + 60_001;
  await until(() => b.won !== null, 2000, "b to depose a");
  expect(b.won!.epoch).toBe(2);
  expect(b.logs.some((m) => m.includes("deposing"))).toBe(true);
  await a.lost();
  expect(a.isLeader()).toBe(false);
  const dir = new ClusterDir(root);
  await until(() => b.won!.isLeader() && dir.readLeader("resman")?.addr === "b:1", 2000, "b's leader file");
  expect(dir.readLeader("resman")).toMatchObject({ addr: "b:1", epoch: 2 });
  expect(readdirSync(root).filter((f) => f.includes("tmp"))).toEqual([]);
});

test("a newer epoch in R.epoch deposes the leader", async () => {
  const dir = new ClusterDir(root);
  const a = await campaign({ clusterDir: dir, role: "appmaster", addr: "a:1", pollMs: 10 });
  held.push(a);
  dir.writeFileAtomic("appmaster.epoch", "5\n");
  await until(() => !a.isLeader(), 1000, "a to notice epoch 5");
  const b = await campaign({ clusterDir: new ClusterDir(root), role: "appmaster", addr: "b:1", pollMs: 10 });
  held.push(b);
  expect(b.epoch).toBe(6);
});

test("a renewal in flight when the leader releases never writes the leader file again", async () => {
  let gate: () => void = () => {};
  let writes = 0;
  class SlowDir extends ClusterDir {
    override async writeFileAtomicIfAsync(relPath: string, data: string, mode: number, check: () => boolean): Promise<boolean> {
      writes++;
      await new Promise<void>((r) => (gate = r)); // the disk is slow: the event loop goes on meanwhile
      return super.writeFileAtomicIfAsync(relPath, data, mode, check);
    }
  }
  const a = await campaign({ clusterDir: new SlowDir(root), role: "resman", addr: "a:1645", pollMs: 10, leaseMs: 30 });
  await until(() => writes === 1, 2000, "a renewal to start");
  await Bun.sleep(40); // more renewal ticks pass while the first is in flight: none piles up
  expect(writes).toBe(1);
  a.release();
  const dir = new ClusterDir(root);
  expect(dir.readLeader("resman")).toBeNull();
  gate();
  await Bun.sleep(20);
  expect(dir.readLeader("resman")).toBeNull();
  expect(readdirSync(root).filter((f) => f.includes(".tmp-"))).toEqual([]);
});
