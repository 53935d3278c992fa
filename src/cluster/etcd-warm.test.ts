import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openEtcdStore } from "../store/etcd-store.ts";
import { EtcdClient } from "./etcd-client.ts";
import { EtcdClusterView } from "./etcd-cluster.ts";
import { WarmState } from "./etcd-warm.ts";
import { etcdMissing, freePort, startEtcd, type EtcdCluster } from "./testdata/etcd-cluster.ts";

test("a warm copy that cannot load gives way to a fresh load, saying why", async () => {
  const warm = new WarmState(EtcdClient.fromList(`127.0.0.1:${await freePort()}`, 300), "/x/resman");
  const r = await warm.take(1, 100);
  expect(r.store).toBeNull();
  expect(r.why).toContain("loading failed: etcd is unreachable");
});

describe.skipIf(etcdMissing !== null)(`warm standby on a real etcd${etcdMissing ? ` (skipped: ${etcdMissing})` : ""}`, () => {
  let etcd: EtcdCluster;
  let client: EtcdClient;
  beforeAll(async () => {
    etcd = await startEtcd(1);
    client = EtcdClient.fromList(etcd.endpoints);
  }, 60_000);
  afterAll(async () => void (await etcd?.stop()));

  test("the standby's copy, kept by a watch, equals a fresh load when it takes over", async () => {
    const logs: string[] = [];
    const args = (addr: string) => ({ role: "appmaster" as const, addr, log: (m: string) => logs.push(`${addr} ${m}`), onStandby: () => {} });
    const a = await EtcdClusterView.connect({ endpoints: etcd.endpoints, prefix: "/w" });
    const b = await EtcdClusterView.connect({ endpoints: etcd.endpoints, prefix: "/w" });
    const la = await a.elect()(args("a"), new AbortController().signal);
    const sa = a.leaderStore("appmaster");
    const jobs = sa.table<{ v: number }>("jobs");
    await sa.write((tx) => ["j1", "j2", "j3"].forEach((k, v) => tx.put(jobs, k, { v })));

    const standby = b.elect()(args("b"), new AbortController().signal); // warm from here on
    for (let i = 0; !logs.some((l) => l.startsWith("b") && l.includes("standby")) && i < 500; i++) await Bun.sleep(10);
    const seq = sa.nextSeq("events");
    await sa.write((tx) => {
      tx.delete(jobs, "j2");
      tx.put(jobs, "j3", { v: 33 });
      tx.put(sa.table<number>("events"), String(seq).padStart(16, "0"), seq);
    });
    await sa.write((tx) => tx.put(jobs, "j4", { v: 4 })); // the last write right before the leader goes
    la.release();
    const lb = await standby;
    expect(logs.some((l) => l.startsWith("b appmaster: hard state kept warm by a watch"))).toBe(true);
    const sb = b.leaderStore("appmaster");
    const fresh = await openEtcdStore({ client, prefix: "/w/appmaster/state" });
    for (const t of ["jobs", "events"]) expect(sb.table(t).entries()).toEqual(fresh.table(t).entries());
    expect(sb.table("jobs").entries()).toEqual([["j1", { v: 0 }], ["j3", { v: 33 }], ["j4", { v: 4 }]]);
    expect(sb.nextSeq("events")).toBeGreaterThan(seq);
    await sb.write((tx) => tx.put(sb.table<number>("jobs"), "j5", 5)); // fenced by b's key: accepted
    lb.release();
    a.close();
    b.close();
  });

  test("a watch from a compacted revision is ended by etcd, and says so", async () => {
    const first = await client.put("compact/k", "1");
    const last = await client.put("compact/k", "2");
    await client.compact(last);
    let why = "";
    client.watch("compact/", { prefix: true, startRevision: first, onCanceled: (r) => (why = r) }, () => {});
    for (let i = 0; why === "" && i < 500; i++) await Bun.sleep(10);
    expect(why).toContain("compacted");
  });
});
