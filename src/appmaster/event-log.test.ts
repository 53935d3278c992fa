import { describe, expect, test } from "bun:test";
import { openMemoryStore } from "../store/index.ts";
import type { NewEvent } from "./core.ts";
import { EventLog } from "./event-log.ts";

const ev = (jobId: string, i: number): NewEvent => ({ jobId, podId: jobId ? `${jobId}.0` : "", kind: "start", message: `m${i}`, at: i });

describe("EventLog", () => {
  test("events commit with their transaction, per job and cluster-wide, oldest first", async () => {
    const store = openMemoryStore();
    const log = new EventLog(store);
    await store.write((tx) => log.stage(tx, [ev("a", 1), ev("b", 2), ev("", 3), ev("a", 4)]));
    expect(log.list("a", 0, 0).events.map((e) => e.message)).toEqual(["m1", "m4"]);
    expect(log.list("", 0, 0).events.map((e) => e.message)).toEqual(["m1", "m2", "m3", "m4"]);
    const { lastSeq } = log.list("", 0, 0);
    expect(log.list("", lastSeq, 0)).toEqual({ events: [], lastSeq });
    expect(log.list("", 0, 2).events.map((e) => e.message)).toEqual(["m3", "m4"]); // the newest N
    // a failed transaction leaves nothing behind
    await expect(store.write((tx) => (log.stage(tx, [ev("a", 5)]), (() => { throw new Error("boom"); })()))).rejects.toThrow("boom");
    expect(log.list("a", 0, 0).events.length).toBe(2);
  });

  test("bounded: per job and in total, the oldest go first", async () => {
    const store = openMemoryStore();
    const log = new EventLog(store, { perJob: 10, total: 30 });
    await store.write((tx) => log.stage(tx, Array.from({ length: 40 }, (_, i) => ev(i % 4 === 0 ? "big" : "", i))));
    await store.write((tx) => log.stage(tx, Array.from({ length: 5 }, (_, i) => ev("big", 100 + i))));
    await log.trim();
    expect(log.list("", 0, 0).events.length).toBe(30);
    const big = log.list("big", 0, 0).events;
    expect(big.length).toBe(10);
    expect(big.at(-1)!.message).toBe("m104");
  });
});
