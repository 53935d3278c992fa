import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EtcdClient } from "../cluster/etcd-client.ts";
import { etcdMissing, freePort, startEtcd, type EtcdCluster } from "../cluster/testdata/etcd-cluster.ts";
import { UnavailableError } from "../core/errors.ts";
import { FencedError, openEtcdStore, splitOps } from "./etcd-store.ts";

test("splitOps keeps each txn within the op count and byte budget; a huge op goes alone", () => {
  const ops = new Map<string, string | undefined>();
  for (let i = 0; i < 300; i++) ops.set(`k${i}`, "x");
  ops.set("big", "y".repeat(5000));
  ops.set("gone", undefined);
  const chunks = splitOps(ops, 128, 4000);
  const bytes = (c: ReturnType<typeof splitOps>[number]) => c.reduce((n, op) => n + ("put" in op ? op.put.key.length + op.put.value.length + 64 : 68), 0);
  expect(chunks.slice(0, -2).every((c) => bytes(c) <= 4000)).toBe(true);
  expect(chunks.slice(0, -3).every((c) => bytes(c) > 4000 - 70)).toBe(true); // full before the next is started
  expect(chunks.flat().length).toBe(302);
  expect(chunks.at(-2)).toEqual([{ put: { key: "big", value: "y".repeat(5000) } }]);
  expect(chunks.at(-1)).toEqual([{ delete: { key: "gone" } }]);
  expect(splitOps(ops, 128, 10_000_000).map((c) => c.length)).toEqual([128, 128, 46]);
});

test("etcd not answering: the write rejects with UnavailableError and the store refuses every later use", async () => {
  const failures: Error[] = [];
  const s = await openEtcdStore({ client: EtcdClient.fromList(`127.0.0.1:${await freePort()}`, 500), prefix: "/x" }).catch((e) => e);
  expect(s).toBeInstanceOf(UnavailableError); // loading needs etcd too
  const { EtcdStore } = await import("./etcd-store.ts");
  const store = new EtcdStore({ client: EtcdClient.fromList(`127.0.0.1:${await freePort()}`, 500), prefix: "/x", onFailure: (e) => failures.push(e) });
  const t = store.table<number>("t");
  await expect(store.write((tx) => tx.put(t, "k", 1))).rejects.toThrow(UnavailableError);
  expect(failures.length).toBe(1);
  expect(() => t.get("k")).toThrow(UnavailableError);
});

describe.skipIf(etcdMissing !== null)(`etcd store on a real etcd${etcdMissing ? ` (skipped: ${etcdMissing})` : ""}`, () => {
  let etcd: EtcdCluster;
  let client: EtcdClient;
  beforeAll(async () => {
    etcd = await startEtcd(1);
    client = EtcdClient.fromList(etcd.endpoints);
  }, 60_000);
  afterAll(async () => {
    await etcd?.stop();
  });

  test("what was acknowledged is loaded by the next store at the same prefix; nextSeq continues above", async () => {
    const a = await openEtcdStore({ client, prefix: "/durable" });
    const jobs = a.table<{ v: number }>("jobs");
    const odd = a.table<string>("a/b");
    await a.write((tx) => {
      ["j1", "j2", "j3"].forEach((k, v) => tx.put(jobs, k, { v }));
      tx.put(odd, "x\u0000y/é", "odd key");
      tx.put(a.table<string>("a"), "b/x", "not in table a/b");
    });
    const seqs = [a.nextSeq("events"), a.nextSeq("events")];
    await a.write((tx) => tx.delete(jobs, "j2"));
    await a.close();

    const b = await openEtcdStore({ client, prefix: "/durable" });
    expect(b.table("jobs").entries()).toEqual([["j1", { v: 0 }], ["j3", { v: 2 }]]);
    expect(b.table("a/b").entries()).toEqual([["x\u0000y/é", "odd key"]]);
    expect(b.table("a").entries()).toEqual([["b/x", "not in table a/b"]]);
    expect(b.nextSeq("events")).toBeGreaterThan(seqs[1]!);
    expect((await openEtcdStore({ client, prefix: "/durabl" })).table("jobs").count()).toBe(0);
    await b.close();
  });

  test("a batch over etcd's limits (129+ ops, several MiB) is split and lands whole", async () => {
    const s = await openEtcdStore({ client, prefix: "/big" });
    const t = s.table<string>("rows");
    const row = "r".repeat(20_000);
    await s.write((tx) => {
      for (let i = 0; i < 300; i++) tx.put(t, String(i).padStart(4, "0"), row);
    });
    await s.close();
    const again = await openEtcdStore({ client, prefix: "/big" });
    expect(again.table("rows").count()).toBe(300);
    expect(again.table<string>("rows").get("0299")).toBe(row);
  });

  test("a deposed leader's write is refused by etcd (FencedError); nothing of it lands, and the store stops", async () => {
    const leaderKey = "/fence/resman/leader";
    const epoch = await client.put(leaderKey, "old leader");
    const failures: Error[] = [];
    const s = await openEtcdStore({ client, prefix: "/fenced", fence: { key: leaderKey, createRevision: epoch }, onFailure: (e) => failures.push(e) });
    const t = s.table<number>("t");
    await s.write((tx) => tx.put(t, "before", 1));
    // Another leader is elected: the key is deleted (lease expired) and created again.
    await client.delete(leaderKey);
    await client.put(leaderKey, "new leader");
    const refused = await s.write((tx) => tx.put(t, "after", 2)).catch((e) => e);
    expect(refused).toBeInstanceOf(FencedError);
    expect(refused.code).toBe("NOT_LEADER");
    expect(refused.message).toContain(`is no longer the key created at revision ${epoch}`);
    expect(failures).toEqual([refused]);
    expect(() => t.get("before")).toThrow(FencedError);
    await expect(s.write((tx) => tx.put(t, "later", 3))).rejects.toThrow(FencedError);
    const seen = await openEtcdStore({ client, prefix: "/fenced" });
    expect(seen.table("t").entries()).toEqual([["before", 1]]);
  });
});
