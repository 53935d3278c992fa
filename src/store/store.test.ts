import { describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLmdbStore } from "./lmdb-store.ts";
import { openMemoryStore } from "./memory-store.ts";
import { runStoreContract } from "./store.contract.ts";

runStoreContract("memory", () => ({ store: openMemoryStore(), cleanup: async () => {} }));
runStoreContract("lmdb", () => {
  const dir = mkdtempSync(join(tmpdir(), "galaxy-store-"));
  const store = openLmdbStore(dir);
  return { store, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
});

describe("LMDB durability", () => {
  test("a reopened store has everything written before close, and sequences continue", async () => {
    const dir = mkdtempSync(join(tmpdir(), "galaxy-store-"));
    try {
      const s1 = openLmdbStore(dir);
      await s1.write((tx) => tx.put(s1.table<string>("t"), "k", "v"));
      const seq = s1.nextSeq("s");
      await s1.close();
      const s2 = openLmdbStore(dir);
      expect(s2.table<string>("t").get("k")).toBe("v");
      expect(s2.nextSeq("s")).toBe(seq + 1);
      await s2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("every write acknowledged before a SIGKILL is there after reopening", async () => {
    const dir = mkdtempSync(join(tmpdir(), "galaxy-store-"));
    const child = spawn(process.execPath, [join(import.meta.dir, "testdata", "writer.ts"), dir, "200"], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      let out = "";
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (d) => {
          out += d;
          if (out.includes("ack 50\n")) resolve();
        });
        child.on("exit", () => reject(new Error(`writer exited early: ${out}`)));
      });
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      const acked = out.split("\n").filter((l) => l.startsWith("ack ")).map((l) => Number(l.slice(4)));
      const s = openLmdbStore(dir);
      const t = s.table<number>("acks");
      for (const i of acked) expect(t.get(`k${String(i).padStart(5, "0")}`)).toBe(i);
      await s.close();
    } finally {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
