// One contract for every Store implementation (LMDB and the in-memory twin): run by store.test.ts against both.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Store } from "./store.ts";

export function runStoreContract(name: string, make: () => { store: Store; cleanup: () => Promise<void> }): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeEach(() => ({ store, cleanup } = make()));
    afterEach(async () => cleanup());

    test("put, get, has, delete", async () => {
      const t = store.table<{ n: number }>("t");
      await store.write((tx) => tx.put(t, "a", { n: 1 }));
      expect(t.get("a")).toEqual({ n: 1 });
      expect(t.has("a")).toBe(true);
      expect(t.get("missing")).toBeUndefined();
      await store.write((tx) => tx.delete(t, "a"));
      expect(t.has("a")).toBe(false);
      expect(t.count()).toBe(0);
    });

    test("list, entries and keys in key order, with prefix", async () => {
      const t = store.table<string>("order");
      const keys = ["b/2", "a", "B", "b/10", "b/1", "c", "a0", "Z9", "é"];
      await store.write((tx) => keys.forEach((k) => tx.put(t, k, k)));
      const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      expect(t.keys()).toEqual(sorted);
      expect(t.list()).toEqual(sorted);
      expect(t.keys("b/")).toEqual(["b/1", "b/10", "b/2"]);
      expect(t.entries("b/1")).toEqual([["b/1", "b/1"], ["b/10", "b/10"]]);
      expect(t.count()).toBe(keys.length);
    });

    test("a throwing write commits nothing, across tables", async () => {
      const a = store.table<number>("a");
      const b = store.table<number>("b");
      await store.write((tx) => tx.put(a, "k", 1));
      await expect(store.write((tx) => {
        tx.put(a, "k", 2);
        tx.put(b, "k", 2);
        throw new Error("boom");
      })).rejects.toThrow("boom");
      expect(a.get("k")).toBe(1);
      expect(b.has("k")).toBe(false);
      expect(() => store.writeSync((tx) => {
        tx.delete(a, "k");
        throw new Error("again");
      })).toThrow("again");
      expect(a.get("k")).toBe(1);
    });

    test("tables are independent and the same name gives the same table", async () => {
      const x = store.table<number>("x");
      await store.write((tx) => tx.put(x, "k", 1));
      expect(store.table<number>("y").has("k")).toBe(false);
      expect(store.table<number>("x").get("k")).toBe(1);
    });

    test("values deep-equal what was written", async () => {
      const t = store.table<unknown>("v");
      const v = { s: "héllo ✓ 日本", n: -1.5, big: 2 ** 40, b: true, nil: null, arr: [1, "two", { three: [3] }], nested: { a: { b: { c: [] } } } };
      store.writeSync((tx) => tx.put(t, "v", v));
      expect(t.get("v")).toEqual(v);
    });

    test("nextSeq is strictly increasing per name", () => {
      const a = [store.nextSeq("ev"), store.nextSeq("ev"), store.nextSeq("ev")];
      expect(a).toEqual([a[0]!, a[0]! + 1, a[0]! + 2]);
      expect(store.nextSeq("other")).toBe(1);
    });
  });
}
