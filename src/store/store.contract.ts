// The one contract every Store implementation passes (LMDB and the in-memory twin); store.test.ts runs it for both.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { InvalidError, UnavailableError } from "../core/errors.ts";
import type { Store } from "./store.ts";
import { MAX_KEY_BYTES } from "./write-batch.ts";

/** Every key kind whose order could differ between implementations: case, digits, control, BMP, astral. */
const KEYS_IN_ORDER = [
  "", "\u0001", "0", "10", "9", "A", "B", "Zz", "a", "a/", "a/1", "a/10", "a/2", "aB", "ab", "b", "é", "\uE000",
  "\uFFFD", "\u{1F600}", "\u{1F600}1",
];

export function runStoreContract(name: string, makeStore: () => Store | Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    const extra: Store[] = [];
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      for (const s of [store, ...extra.splice(0)]) await s.close();
    });

    test("put, get, has, delete and count", async () => {
      const t = store.table<{ n: number }>("jobs");
      expect(t.name).toBe("jobs");
      await store.write((tx) => {
        tx.put(t, "a", { n: 1 });
        tx.put(t, "b", { n: 2 });
      });
      expect(t.get("a")).toEqual({ n: 1 });
      expect(t.has("b")).toBe(true);
      expect(t.get("missing")).toBeUndefined();
      expect(t.has("missing")).toBe(false);
      expect(t.count()).toBe(2);
      store.writeSync((tx) => {
        tx.put(t, "a", { n: 3 });
        tx.delete(t, "b");
        tx.delete(t, "never-there");
      });
      expect(t.get("a")).toEqual({ n: 3 });
      expect(t.has("b")).toBe(false);
      expect(t.count()).toBe(1);
    });

    test("the same name gives the same table, and tables are independent", async () => {
      const x = store.table<number>("x");
      expect(store.table<number>("x")).toBe(x);
      const y = store.table<number>("y");
      await store.write((tx) => {
        tx.put(x, "k", 1);
        tx.put(y, "other", 2);
      });
      expect(y.has("k")).toBe(false);
      expect(x.keys()).toEqual(["k"]);
      expect(y.keys()).toEqual(["other"]);
      expect([x.count(), y.count()]).toEqual([1, 1]);
    });

    test("keys, list and entries come in UTF-8 byte order", async () => {
      const t = store.table<string>("order");
      const shuffled = [...KEYS_IN_ORDER].reverse();
      shuffled.push(shuffled.shift()!);
      await store.write((tx) => shuffled.forEach((k) => tx.put(t, k, `v${k}`)));
      expect(t.keys()).toEqual(KEYS_IN_ORDER);
      expect(t.list()).toEqual(KEYS_IN_ORDER.map((k) => `v${k}`));
      expect(t.entries()).toEqual(KEYS_IN_ORDER.map((k) => [k, `v${k}`]));
      expect(t.count()).toBe(KEYS_IN_ORDER.length);
    });

    test("a prefix selects exactly the keys starting with it", async () => {
      const t = store.table<number>("prefix");
      await store.write((tx) => KEYS_IN_ORDER.forEach((k, i) => tx.put(t, k, i)));
      expect(t.keys("a/")).toEqual(["a/", "a/1", "a/10", "a/2"]);
      expect(t.entries("a/1")).toEqual([["a/1", 10], ["a/10", 11]]);
      expect(t.list("a")).toEqual([8, 9, 10, 11, 12, 13, 14]);
      expect(t.keys("\u{1F600}")).toEqual(["\u{1F600}", "\u{1F600}1"]);
      expect(t.keys("nothing")).toEqual([]);
      expect(t.list("c")).toEqual([]);
      expect(t.keys("")).toEqual(KEYS_IN_ORDER);
    });

    test("a throwing fn commits nothing, in any table", async () => {
      const a = store.table<number>("a");
      const b = store.table<number>("b");
      await store.write((tx) => tx.put(a, "k", 1));
      const boom = new Error("boom");
      const failed = store.write((tx) => {
        tx.put(a, "k", 2);
        tx.put(b, "k", 2);
        throw boom;
      });
      await expect(failed).rejects.toBe(boom);
      expect(() =>
        store.writeSync((tx) => {
          tx.delete(a, "k");
          tx.put(b, "k", 3);
          throw new Error("again");
        }),
      ).toThrow("again");
      expect(a.get("k")).toBe(1);
      expect(b.has("k")).toBe(false);
    });

    test("writes in one transaction apply in order; transactions commit in call order", async () => {
      const t = store.table<number>("seqw");
      await store.write((tx) => {
        tx.put(t, "gone", 1);
        tx.delete(t, "gone");
        tx.delete(t, "back");
        tx.put(t, "back", 2);
      });
      expect(t.keys()).toEqual(["back"]);
      const pending = [1, 2, 3].map((n) => store.write((tx) => tx.put(t, "last", n)));
      await Promise.all(pending);
      expect(t.get("last")).toBe(3);
    });

    test("write, writeSync and nextSeq may interleave", async () => {
      const t = store.table<number>("mixed");
      const pending = store.write((tx) => tx.put(t, "async", 1));
      store.writeSync((tx) => tx.put(t, "sync", store.nextSeq("mixed")));
      const again = store.write((tx) => tx.put(t, "async2", store.nextSeq("mixed")));
      await Promise.all([pending, again]);
      expect(t.keys()).toEqual(["async", "async2", "sync"]);
      expect(t.get("async2")!).toBeGreaterThan(t.get("sync")!);
    });

    test("reads inside fn see the state from before the transaction", async () => {
      const t = store.table<number>("iso");
      await store.write((tx) => tx.put(t, "n", 1));
      let seen: number | undefined;
      await store.write((tx) => {
        tx.put(t, "n", 2);
        seen = t.get("n");
      });
      expect(seen).toBe(1);
      expect(t.get("n")).toBe(2);
    });

    test("values read back deep-equal what was written, as fresh copies", async () => {
      const t = store.table<unknown>("values");
      const v = {
        s: "héllo ✓ 日本語 \u{1F680} \uD800 \"quoted\" \\ \n\t",
        n: [0, -1.5, 2 ** 53 - 1, -(2 ** 31), 1e-300, 6.02e23],
        b: [true, false],
        nil: null,
        nested: { a: { b: { c: [[], {}, [1, [2, [3]]]] } } },
        "key with spaces/é": "x",
      };
      const written = structuredClone(v);
      await store.write((tx) => {
        tx.put(t, "v", written);
        tx.put(t, "scalars", ["", 0, null, false]);
        tx.put(t, "str", "just a string");
      });
      written.nested.a.b.c.push(99); // mutating what was written does not reach the store
      const got = t.get("v") as typeof v;
      expect(got).toEqual(v);
      got.nil = "changed" as unknown as null; // nor does mutating what was read
      expect(t.get("v")).toEqual(v);
      expect(t.get("scalars")).toEqual(["", 0, null, false]);
      expect(t.get("str")).toBe("just a string");
    });

    test("undefined fields are dropped, as JSON does", async () => {
      const t = store.table<{ a: number; b?: number }>("json");
      await store.write((tx) => tx.put(t, "k", { a: 1, b: undefined }));
      expect(Object.keys(t.get("k")!)).toEqual(["a"]);
    });

    test("bad input is rejected with InvalidError and writes nothing", async () => {
      const t = store.table<unknown>("bad");
      await expect(store.write((tx) => {
        tx.put(t, "ok", 1);
        tx.put(t, "undef", undefined);
      })).rejects.toThrow(InvalidError);
      expect(() => store.writeSync((tx) => tx.put(t, "x".repeat(MAX_KEY_BYTES + 1), 1))).toThrow(InvalidError);
      expect(() => store.writeSync((tx) => tx.put(t, "é".repeat(MAX_KEY_BYTES / 2 + 1), 1))).toThrow(InvalidError);
      expect(() => store.writeSync((tx) => tx.put(t, "lone\uD800", 1))).toThrow(InvalidError);
      const cyclic: { self?: unknown } = {};
      cyclic.self = cyclic;
      expect(() => store.writeSync((tx) => tx.put(t, "cyclic", cyclic))).toThrow(InvalidError);
      for (const bad of ["", "_private", "with space", "a".repeat(101)]) {
        expect(() => store.table(bad)).toThrow(InvalidError);
      }
      expect(t.count()).toBe(0);
      expect(() => t.get("x".repeat(MAX_KEY_BYTES + 1))).toThrow(InvalidError);
      expect(t.get("x".repeat(MAX_KEY_BYTES))).toBeUndefined();
    });

    test("a table of another store is rejected", async () => {
      const other = await makeStore();
      extra.push(other);
      const foreign = other.table<number>("t");
      expect(() => store.writeSync((tx) => tx.put(foreign, "k", 1))).toThrow(InvalidError);
      expect(foreign.has("k")).toBe(false);
    });

    test("nextSeq is strictly increasing and never repeats, per name", async () => {
      const first = store.nextSeq("events");
      expect(first).toBeGreaterThanOrEqual(1);
      let prev = first;
      for (let i = 0; i < 2500; i++) {
        const n = store.nextSeq("events");
        expect(n).toBeGreaterThan(prev);
        prev = n;
      }
      expect(store.nextSeq("ids")).toBeGreaterThanOrEqual(1);
      const t = store.table<number>("with-seq");
      let inside = 0;
      await store.write((tx) => {
        inside = store.nextSeq("events");
        tx.put(t, "seq", inside);
      });
      expect(inside).toBeGreaterThan(prev);
      expect(t.get("seq")).toBe(inside);
      expect(store.nextSeq("events")).toBeGreaterThan(inside);
    });

    test("a closed store refuses to be used, and closing twice is fine", async () => {
      const t = store.table<number>("t");
      await store.write((tx) => tx.put(t, "k", 1));
      await store.close();
      expect(() => t.get("k")).toThrow(UnavailableError);
      expect(() => store.table("t")).toThrow(UnavailableError);
      expect(() => store.nextSeq("s")).toThrow(UnavailableError);
      await expect(store.write((tx) => tx.put(t, "k", 2))).rejects.toThrow(UnavailableError);
      expect(() => store.writeSync((tx) => tx.put(t, "k", 2))).toThrow(UnavailableError);
    });
  });
}
