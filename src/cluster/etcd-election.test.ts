import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { FencedError, openEtcdStore } from "../store/etcd-store.ts";
import { EtcdClient } from "./etcd-client.ts";
import { campaignEtcd, epochKey, readEtcdLeader, type EtcdElectionOptions, type EtcdLeadership } from "./etcd-election.ts";
import { etcdMissing, startEtcd, type EtcdCluster } from "./testdata/etcd-cluster.ts";

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

describe.skipIf(etcdMissing !== null)(`election on a real 3-member etcd${etcdMissing ? ` (skipped: ${etcdMissing})` : ""}`, () => {
  let etcd: EtcdCluster;
  let client: EtcdClient;
  let n = 0;
  let prefix = "";
  const held: EtcdLeadership[] = [];
  const aborts: AbortController[] = [];
  beforeAll(async () => {
    etcd = await startEtcd(3);
    client = EtcdClient.fromList(etcd.endpoints);
  }, 60_000);
  afterAll(async () => {
    await etcd?.stop();
  });
  afterEach(() => {
    for (const a of aborts.splice(0)) a.abort();
    for (const l of held.splice(0)) l.release();
    prefix = "";
  });

  function start(o: Partial<EtcdElectionOptions> & { addr: string }) {
    prefix ||= `/elect${++n}`;
    const ac = new AbortController();
    aborts.push(ac);
    const r = { won: null as EtcdLeadership | null, error: null as unknown, logs: [] as string[] };
    campaignEtcd({ client, prefix, role: "resman", pollMs: 20, ttlSeconds: 2, log: (m) => r.logs.push(m), ...o }, ac.signal)
      .then((l) => {
        held.push(l);
        r.won = l;
      })
      .catch((e) => (r.error = e));
    return r;
  }

  test("one leader at a time; the epoch is the leader key's create revision; release hands over to a higher epoch", async () => {
    const a = start({ addr: "a:1645" });
    await until(() => a.won !== null, "a to lead");
    const b = start({ addr: "b:1645" });
    await until(() => b.logs.some((l) => l.includes("standby; leader is pid")), "b to be a standby");
    expect(b.won).toBeNull();
    const leader = await readEtcdLeader(client, prefix, "resman");
    expect(leader).toMatchObject({ addr: "a:1645", pid: process.pid, epoch: a.won!.epoch });
    expect((await client.get(`${prefix}/resman/leader`))!.createRevision).toBe(a.won!.epoch);
    expect((await client.get(epochKey(prefix, "resman")))!.value).toBe(String(a.won!.epoch));
    a.won!.release();
    expect(a.won!.isLeader()).toBe(false);
    await until(() => b.won !== null, "b to lead after a released");
    expect(b.won!.epoch).toBeGreaterThan(a.won!.epoch);
    expect((await readEtcdLeader(client, prefix, "resman"))!.addr).toBe("b:1645");
  });

  test("roles are independent", async () => {
    const r = start({ addr: "r:1" });
    const m = start({ addr: "m:1", role: "appmaster" });
    await until(() => r.won !== null && m.won !== null, "both roles to lead");
  });

  test("a leader cut off from etcd steps down by its own timer before the standby leads; its writes are fenced", async () => {
    // The leader talks to member 0 only; the standby to members 1 and 2.
    const onlyFirst = new EtcdClient([etcd.members[0]!.clientUrl], 500);
    const others = new EtcdClient(etcd.members.slice(1).map((m) => m.clientUrl));
    const a = start({ addr: "a:1645", client: onlyFirst });
    await until(() => a.won !== null, "a to lead");
    const store = await openEtcdStore({ client: onlyFirst, prefix: `${prefix}/state`, fence: a.won!.fence });
    const t = store.table<number>("t");
    await store.write((tx) => tx.put(t, "k", 1));
    const b = start({ addr: "b:1645", client: others });
    await until(() => b.logs.some((l) => l.includes("standby")), "b to be a standby");

    etcd.members[0]!.proc!.kill("SIGSTOP");
    try {
      let aLostFirst = null as boolean | null;
      void a.won!.lost().then(() => (aLostFirst ??= b.won === null));
      await until(() => b.won !== null, "b to lead after a's lease ran out");
      expect(aLostFirst).toBe(true); // a had stepped down before b won
      expect(a.won!.isLeader()).toBe(false);
      expect(a.won!.reason).toMatch(/could not renew the lease within its TTL|the lease expired/);
      expect(b.won!.epoch).toBeGreaterThan(a.won!.epoch);
    } finally {
      etcd.members[0]!.proc!.kill("SIGCONT");
    }
    // The old leader's store, once its etcd member answers again, is refused by etcd itself.
    await until(() => onlyFirst.get("probe").then(() => true, () => false), "member 0 to answer again");
    const refused = await store.write((tx) => tx.put(t, "k", 2)).catch((e) => e);
    expect(refused).toBeInstanceOf(FencedError);
    const seen = await openEtcdStore({ client: others, prefix: `${prefix}/state` });
    expect(seen.table<number>("t").get("k")).toBe(1);
  }, 60_000);

  test("an epoch not above the one already recorded is refused with one sentence", async () => {
    prefix = `/elect${++n}`;
    await client.put(epochKey(prefix, "resman"), "999999999");
    const a = start({ addr: "a:1645" });
    await until(() => a.error !== null, "the campaign to fail");
    expect(String((a.error as Error).message)).toMatch(/^refusing to lead resman: etcd gave epoch \d+, not above epoch 999999999 already used/);
    expect(await readEtcdLeader(client, prefix, "resman")).toBeNull();
    const b = start({ addr: "b:1645", minEpoch: 999999998, prefix: `/elect${++n}` });
    await until(() => b.error !== null, "the campaign with minEpoch to fail");
    expect(String((b.error as Error).message)).toContain("not above epoch 999999998");
  });
});
