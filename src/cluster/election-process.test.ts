// Election between real processes: kill -9 of the leader, and SIGSTOP (the lease) with SIGCONT afterwards.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterDir } from "./cluster-dir.ts";
import { type Child, killChild, spawnCampaigner } from "./testdata/children.ts";

let root = "";
let children: Child[] = [];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "galaxy-elect-proc-"));
});
afterEach(async () => {
  await Promise.all(children.map(killChild));
  children = [];
  rmSync(root, { recursive: true, force: true });
});

function spawn(leaseMs: number, pollMs: number): Child {
  const c = spawnCampaigner(root, "resman", leaseMs, pollMs);
  children.push(c);
  return c;
}

test("after kill -9 of the leader the standby wins within 2 s with a higher epoch", async () => {
  const a = spawn(3000, 50);
  const aWon = await a.waitFor("leader", 5000);
  const b = spawn(3000, 50);
  await b.waitFor("log", 5000, "standby"); // b has found the lock busy
  expect(b.find("leader")).toBeUndefined();

  const killedAt = performance.now();
  await killChild(a);
  const bWon = await b.waitFor("leader", 2000);
  expect(performance.now() - killedAt).toBeLessThan(2000);
  expect(bWon.epoch!).toBeGreaterThan(aWon.epoch!);
  const dir = new ClusterDir(root);
  expect(dir.readLeader("resman")).toMatchObject({ pid: b.pid, epoch: bWon.epoch });
  expect(dir.readEpoch("resman")).toBe(bWon.epoch!);
}, 15_000);

test("a SIGSTOPped leader is deposed after the lease, and after SIGCONT it knows it is no longer leader", async () => {
  const leaseMs = 600;
  const a = spawn(leaseMs, 50);
  const aWon = await a.waitFor("leader", 5000);
  const b = spawn(leaseMs, 50);
  await b.waitFor("log", 5000, "standby");

  a.signal("SIGSTOP");
  const bWon = await b.waitFor("leader", leaseMs + 3000);
  expect(bWon.epoch!).toBeGreaterThan(aWon.epoch!);
  const dir = new ClusterDir(root);
  expect(dir.readLeader("resman")).toMatchObject({ pid: b.pid, epoch: bWon.epoch });

  a.signal("SIGCONT");
  const aLost = await a.waitFor("lost", 1000);
  expect(aLost.epoch).toBe(aWon.epoch!);
  expect(b.find("lost")).toBeUndefined();
  // the resumed old leader must not have overwritten its successor's leader file
  expect(dir.readLeader("resman")).toMatchObject({ pid: b.pid, epoch: bWon.epoch });
}, 15_000);
