import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openBackend, type MasterBackend } from "./backend.ts";
import { ClusterDir } from "./cluster-dir.ts";
import { EtcdClient } from "./etcd-client.ts";
import type { Leadership } from "./leadership.ts";
import { stampMismatch } from "./state-stamp.ts";
import { etcdMissing, startEtcd, type EtcdCluster } from "./testdata/etcd-cluster.ts";

const root = mkdtempSync(join(tmpdir(), "galaxy-backend-"));
const open: MasterBackend[] = [];
const held: Leadership[] = [];
afterEach(async () => {
  for (const l of held.splice(0)) l.release();
  for (const b of open.splice(0)) await b.close();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const elect = async (b: MasterBackend, addr: string) => {
  const l = await b.elect({ role: "resman", addr, log: () => {}, onStandby: () => {} }, new AbortController().signal);
  held.push(l);
  return l;
};

test("stampMismatch: only the last leader's data dir (same cluster, generation not below) may lead", () => {
  expect(stampMismatch(null, null)).toBeNull();
  expect(stampMismatch({ cluster: "c", generation: 3 }, null)).toBeNull();
  expect(stampMismatch({ cluster: "c", generation: 3 }, { cluster: "c", generation: 3 })).toBeNull();
  expect(stampMismatch({ cluster: "c", generation: 4 }, { cluster: "c", generation: 3 })).toBeNull();
  expect(stampMismatch(null, { cluster: "c", generation: 3 })).toContain("holds none of cluster c's hard state");
  expect(stampMismatch({ cluster: "d", generation: 9 }, { cluster: "c", generation: 3 })).toContain("of cluster d, not of cluster c");
  expect(stampMismatch({ cluster: "c", generation: 2 }, { cluster: "c", generation: 3 })).toContain("generation 2");
});

test("without --etcd, both dirs are needed: one sentence each", async () => {
  await expect(openBackend({ role: "resman", clusterDir: root, log: () => {} })).rejects.toThrow("--data-dir is required without --etcd");
  await expect(openBackend({ role: "appmaster", dataDir: join(root, "d"), log: () => {} })).rejects.toThrow("--cluster-dir is required without --etcd");
});

test("LMDB: a standby with its own (empty or stale) data dir refuses to lead with one sentence; the last leader's dir leads", async () => {
  const clusterDir = join(root, "cluster");
  const [da, db] = [join(root, "a"), join(root, "b")];
  const a = await openBackend({ role: "resman", dataDir: da, clusterDir, log: () => {} });
  open.push(a);
  const la = await elect(a, "a:1");
  await a.store.write((tx) => tx.put(a.store.table<string>("users"), "alice", "alice"));
  la.release();

  const b = await openBackend({ role: "resman", dataDir: db, clusterDir, log: () => {} });
  open.push(b);
  const refused = await elect(b, "b:1").catch((e) => e);
  expect(refused.message).toBe(
    `refusing to lead resman: data dir ${db} holds none of cluster ${JSON.parse(readFileSync(join(clusterDir, "resman.state"), "utf8")).cluster}'s hard state (its last leader wrote generation ${la.epoch}); start it with the last leader's data dir`,
  );
  expect(new ClusterDir(clusterDir).readLeader("resman")).toBeNull(); // it released the lock at once

  const again = await elect(a, "a:1");
  expect(again.epoch).toBeGreaterThan(la.epoch);
  expect(a.store.table<string>("users").get("alice")).toBe("alice");
  again.release();
  // b's dir is now older than the cluster's generation even after a's restart: still refused.
  expect((await elect(b, "b:1").catch((e) => e)).message).toContain("holds none of cluster");
});

describe.skipIf(etcdMissing !== null)(`etcd backend${etcdMissing ? ` (skipped: ${etcdMissing})` : ""}`, () => {
  let etcd: EtcdCluster;
  afterAll(async () => void (await etcd?.stop()));

  test("hard state, leaders, secret and naming live in etcd; a standby leads with the state the leader wrote", async () => {
    etcd = await startEtcd(1);
    const clusterDir = join(root, "seed");
    const a = await openBackend({ role: "resman", clusterDir, etcd: etcd.endpoints, etcdPrefix: "/g", log: () => {} });
    open.push(a);
    expect(a.cluster.secret()).toBe(new ClusterDir(clusterDir).secret()); // agents reading the cluster dir agree
    const la = await elect(a, "a:1645");
    await a.store.write((tx) => tx.put(a.store.table<string>("users"), "alice", "alice"));
    a.cluster.writeFileAtomic("naming/j1.json", '{"job":"j1"}');
    const client = EtcdClient.fromList(etcd.endpoints);
    for (let i = 0; (await client.get("/g/naming/j1.json")) === null && i < 500; i++) await Bun.sleep(10);
    expect((await client.get("/g/naming/j1.json"))!.value).toBe('{"job":"j1"}');

    const b = await openBackend({ role: "resman", etcd: etcd.endpoints, etcdPrefix: "/g", log: () => {} });
    open.push(b);
    expect(b.cluster.secret()).toBe(a.cluster.secret());
    expect(b.cluster.readLeader("resman")).toMatchObject({ addr: "a:1645", epoch: la.epoch });
    expect(() => b.store.table("users").get("alice")).toThrow("resman does not lead");
    const standby = elect(b, "b:1645");
    la.release();
    const lb = await standby;
    expect(lb.epoch).toBeGreaterThan(la.epoch);
    expect(b.store.table<string>("users").get("alice")).toBe("alice");
    // The deposed leader's store is fenced by etcd.
    await expect(a.store.write((tx) => tx.put(a.store.table<string>("users"), "mallory", "m"))).rejects.toThrow("no longer the key created");
    b.cluster.removeFile("naming/j1.json");
    for (let i = 0; (await client.get("/g/naming/j1.json")) !== null && i < 500; i++) await Bun.sleep(10);
    expect(await client.get("/g/naming/j1.json")).toBeNull();
  }, 60_000);
});
