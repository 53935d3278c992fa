import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { UnavailableError } from "../core/errors.ts";
import { EtcdClient, EtcdError, prefixEnd, type WatchEvent } from "./etcd-client.ts";
import { etcdMissing, freePort, startEtcd, type EtcdCluster } from "./testdata/etcd-cluster.ts";

test("prefixEnd is the first key after every key with the prefix", () => {
  expect(Buffer.from(prefixEnd("a/"), "base64").toString()).toBe("a0");
  expect([...Buffer.from(prefixEnd("a\u00ff"), "base64")]).toEqual([0x61, 0xc3, 0xc0]);
});

test("no etcd answering: UnavailableError naming the endpoints", async () => {
  const c = EtcdClient.fromList(`127.0.0.1:${await freePort()}`, 1000);
  const err = await c.get("k").catch((e) => e);
  expect(err).toBeInstanceOf(UnavailableError);
  expect(String(err.message)).toContain("etcd is unreachable at http://127.0.0.1:");
});

describe.skipIf(etcdMissing !== null)(`etcd client on a real 3-member etcd${etcdMissing ? ` (skipped: ${etcdMissing})` : ""}`, () => {
  let etcd: EtcdCluster;
  let c: EtcdClient;
  beforeAll(async () => {
    etcd = await startEtcd(3);
    c = EtcdClient.fromList(etcd.endpoints);
  }, 60_000);
  afterAll(async () => {
    await etcd?.stop();
  });

  test("put, get, range by prefix, delete; keys and values are UTF-8", async () => {
    const r1 = await c.put("t1/a", "héllo ✓ \u{1F680}");
    await c.put("t1/b", "2");
    await c.put("t2/a", "3");
    const a = await c.get("t1/a");
    expect(a!.value).toBe("héllo ✓ \u{1F680}");
    expect(a!.createRevision).toBe(r1);
    expect(a!.version).toBe(1);
    expect(await c.get("t1/none")).toBeNull();
    const all = await c.range("t1/", { prefix: true });
    expect(all.kvs.map((k) => [k.key, k.value])).toEqual([["t1/a", "héllo ✓ \u{1F680}"], ["t1/b", "2"]]);
    expect(all.revision).toBeGreaterThanOrEqual(r1);
    expect(await c.delete("t1/", { prefix: true })).toBe(2);
    expect((await c.range("t1/", { prefix: true })).kvs).toEqual([]);
    expect((await c.get("t2/a"))!.value).toBe("3");
  });

  test("list reads every key under a prefix in pages, at one revision", async () => {
    for (let i = 0; i < 7; i++) await c.put(`page/${i}`, String(i));
    await c.put("pagf", "not under page/");
    const { kvs, revision } = await c.list("page/", 2);
    expect(kvs.map((k) => k.value)).toEqual(["0", "1", "2", "3", "4", "5", "6"]);
    expect(revision).toBeGreaterThanOrEqual(kvs.at(-1)!.modRevision);
  });

  test("txn: compares choose the branch; a failed compare writes nothing", async () => {
    const rev = await c.put("tx/leader", "me");
    const ok = await c.txn({
      compare: [{ key: "tx/leader", target: "create", value: rev }],
      success: [{ put: { key: "tx/data", value: "1" } }, { range: { key: "tx/leader" } }],
    });
    expect(ok.succeeded).toBe(true);
    expect(ok.responses[1]!.kvs![0]!.value).toBe("me");
    const no = await c.txn({
      compare: [{ key: "tx/leader", target: "create", value: rev + 100 }],
      success: [{ put: { key: "tx/data", value: "2" } }],
      failure: [{ range: { key: "tx/leader" } }],
    });
    expect(no.succeeded).toBe(false);
    expect(no.responses[0]!.kvs![0]!.createRevision).toBe(rev);
    expect((await c.get("tx/data"))!.value).toBe("1");
    // create if absent: version == 0
    const again = await c.txn({ compare: [{ key: "tx/leader", target: "version", value: 0 }], success: [{ put: { key: "tx/leader", value: "other" } }] });
    expect(again.succeeded).toBe(false);
  });

  test("etcd's own limits come back as EtcdError (too many ops in one txn)", async () => {
    const ops = Array.from({ length: 129 }, (_, i) => ({ put: { key: `many/${i}`, value: "x" } }));
    const err = await c.txn({ success: ops }).catch((e) => e);
    expect(err).toBeInstanceOf(EtcdError);
    expect(err.message).toContain("too many operations in txn request");
  });

  test("leases: a key put with a lease goes when the lease is revoked; keepalive answers the TTL", async () => {
    const lease = await c.leaseGrant(10);
    expect(lease.ttl).toBe(10);
    await c.put("lease/k", "v", lease.id);
    expect((await c.get("lease/k"))!.lease).toBe(lease.id);
    expect(await c.leaseKeepAlive(lease.id)).toBe(10);
    await c.leaseRevoke(lease.id);
    expect(await c.get("lease/k")).toBeNull();
    expect(await c.leaseKeepAlive(lease.id)).toBe(0);
    await c.leaseRevoke(lease.id); // twice is fine
  });

  test("watch streams puts and deletes in order, from a start revision", async () => {
    const first = await c.put("w/a", "1");
    const seen: WatchEvent[] = [];
    const w = c.watch("w/", { prefix: true, startRevision: first }, (evs) => seen.push(...evs));
    await w.ready;
    await c.put("w/b", "2");
    await c.delete("w/a");
    for (let i = 0; seen.length < 3 && i < 500; i++) await Bun.sleep(10);
    w.cancel();
    expect(seen.map((e) => [e.type, e.kv.key, e.kv.value])).toEqual([["put", "w/a", "1"], ["put", "w/b", "2"], ["delete", "w/a", ""]]);
  });

  test("a dead member is skipped: the client goes on with the others", async () => {
    const first = EtcdClient.fromList(etcd.endpoints);
    await etcd.kill(0);
    await first.put("after-kill", "ok");
    expect((await first.get("after-kill"))!.value).toBe("ok");
  }, 30_000);
});
