import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLmdbStore } from "./lmdb-store.ts";
import { openMemoryStore } from "./memory-store.ts";
import { LazyStore } from "./lazy-store.ts";
import { compareKeys } from "./store.ts";
import { runStoreContract } from "./store.contract.ts";
import { EtcdClient } from "../cluster/etcd-client.ts";
import { etcdMissing, startEtcd, type EtcdCluster } from "../cluster/testdata/etcd-cluster.ts";
import { openEtcdStore } from "./etcd-store.ts";

const root = mkdtempSync(join(tmpdir(), "galaxy-store-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const freshDir = () => mkdtempSync(join(root, "db-"));

runStoreContract("memory", openMemoryStore);
runStoreContract("lmdb", () => openLmdbStore(freshDir()));
runStoreContract("lmdb noSync", () => openLmdbStore(freshDir(), { noSync: true, mapSizeMB: 64 }));
runStoreContract("lazy lmdb", () => new LazyStore(() => openLmdbStore(freshDir())));

// etcd: one real member for the whole file, a fresh key prefix per store.
let etcd: Promise<EtcdCluster> | null = null;
let prefixes = 0;
afterAll(async () => void (await (await etcd)?.stop()));
if (etcdMissing === null) {
  beforeAll(async () => void (await (etcd ??= startEtcd(1))), 60_000); // before the first store, with time to spare
  runStoreContract("etcd", async () => {
    const cluster = await (etcd ??= startEtcd(1));
    return openEtcdStore({ client: EtcdClient.fromList(cluster.endpoints), prefix: `/contract/${++prefixes}` });
  });
} else {
  test.skip(`Store contract: etcd (skipped: ${etcdMissing})`, () => {});
}

describe("LazyStore", () => {
  test("opens its backing store on first use only, and a table taken before works after", async () => {
    const dir = freshDir();
    const lazy = new LazyStore(() => openLmdbStore(dir));
    const t = lazy.table<number>("t");
    expect(lazy.opened).toBe(false);
    expect(existsSync(join(dir, "data.mdb"))).toBe(false);
    await lazy.write((tx) => tx.put(t, "k", 1));
    expect(lazy.opened).toBe(true);
    expect(t.get("k")).toBe(1);
    await lazy.close();
    const again = new LazyStore(() => openLmdbStore(dir));
    expect(again.table<number>("t").get("k")).toBe(1);
    await again.close();
  });

  test("closed before it was ever opened: nothing is opened, and use is refused", async () => {
    let opens = 0;
    const lazy = new LazyStore(() => (opens++, openMemoryStore()));
    await lazy.close();
    expect(opens).toBe(0);
    expect(() => lazy.table("t")).toThrow(/closed/);
  });
});

/** Collects a child's stdout in the background; `ended` resolves once the stream is closed. */
function collect(stdout: ReadableStream<Uint8Array>): { text: () => string; ended: Promise<void> } {
  let text = "";
  const decoder = new TextDecoder();
  const ended = (async () => {
    for await (const chunk of stdout) text += decoder.decode(chunk, { stream: true });
  })();
  return { text: () => text, ended };
}

/** Polls `cond` until it holds; fails after `ms`. */
async function waitFor(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await Bun.sleep(5);
  }
}

/** The complete "ack <i> <seq>" lines in text. */
function parseAcks(text: string): Array<{ i: number; seq: number }> {
  return [...text.matchAll(/^ack (\d+) (\d+)\n/gm)].map((m) => ({ i: Number(m[1]), seq: Number(m[2]) }));
}

describe("LMDB store on disk", () => {
  test("a store reopened after close has every write, and nextSeq continues above", async () => {
    const dir = freshDir();
    const s1 = openLmdbStore(dir);
    const jobs = s1.table<{ v: number }>("jobs");
    await s1.write((tx) => ["j1", "j2", "j3"].forEach((k, v) => tx.put(jobs, k, { v })));
    s1.writeSync((tx) => {
      tx.delete(jobs, "j2");
      tx.put(s1.table<string>("meta"), "epoch", "7");
    });
    const seqs = [s1.nextSeq("events"), s1.nextSeq("events")];
    await s1.close();

    const s2 = openLmdbStore(dir);
    expect(s2.table("jobs").entries()).toEqual([["j1", { v: 0 }], ["j3", { v: 2 }]]);
    expect(s2.table<string>("meta").get("epoch")).toBe("7");
    expect(s2.nextSeq("events")).toBeGreaterThan(seqs[1]!);
    await s2.close();
  });

  test("two processes share a directory; everything acknowledged before a SIGKILL survives", async () => {
    const dir = freshDir();
    const parent = openLmdbStore(dir);
    const rows = parent.table<{ i: number; seq: number }>("rows");
    const parentSeq = parent.nextSeq("events");
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "testdata", "ack-writer.ts"), dir], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const out = collect(child.stdout);
    try {
      await waitFor(() => parseAcks(out.text()).length >= 100, 20_000, () => out.text().slice(-200));
      const seen = parseAcks(out.text()).at(-1)!;
      // The parent's open store sees the child's acknowledged writes without reopening.
      expect(rows.get(`row/${String(seen.i).padStart(6, "0")}`)).toEqual(seen);
      // Close before the kill: a process that holds the env open while another is SIGKILLed inside a write
      // transaction was seen to spin in lmdb's native code (see the closing note); reopening afterwards is what a
      // restarted process does.
      await parent.close();
      child.kill("SIGKILL");
      await child.exited;
      await out.ended;
      const acks = parseAcks(out.text());
      expect(acks.length).toBeGreaterThanOrEqual(100);

      const reopened = openLmdbStore(dir);
      const after = reopened.table<{ i: number; seq: number }>("rows");
      for (const a of acks) expect(after.get(`row/${String(a.i).padStart(6, "0")}`)).toEqual(a);
      expect(reopened.table<number>("latest").get("i")).toBeGreaterThanOrEqual(acks.at(-1)!.i);
      const seqs = acks.map((a) => a.seq);
      expect(new Set([parentSeq, ...seqs]).size).toBe(seqs.length + 1); // no value handed out twice
      expect(reopened.nextSeq("events")).toBeGreaterThan(Math.max(parentSeq, ...seqs));
      await reopened.close();
    } finally {
      child.kill("SIGKILL");
      await child.exited;
    }
  });
});

describe("memory tables at size", () => {
  test("thousands of random puts and deletes keep keys(prefix) equal to a sorted copy", () => {
    const s = openMemoryStore();
    const t = s.table<number>("big");
    const naive = new Set<string>();
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const key = () => `${"abc"[rand(3)]}/${rand(5000)}`;
    for (let round = 0; round < 20; round++) {
      s.writeSync((tx) => {
        for (let i = 0; i < 500; i++) {
          const k = key();
          if (rand(3) === 0) {
            tx.delete(t, k);
            naive.delete(k);
          } else {
            tx.put(t, k, i);
            naive.add(k);
          }
        }
      });
      const sorted = [...naive].sort(compareKeys);
      expect(t.keys()).toEqual(sorted);
      for (const p of ["a/", "b/1", "c/49", "d"]) expect(t.keys(p)).toEqual(sorted.filter((k) => k.startsWith(p)));
      expect(t.count()).toBe(naive.size);
    }
  });
});
