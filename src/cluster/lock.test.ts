import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquireFlock, tryFlock } from "./lock.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "galaxy-lock-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("a second tryFlock on the same path returns null until the first is released", () => {
  const p = join(dir, "x.lock");
  const a = tryFlock(p);
  expect(a).not.toBeNull();
  expect(tryFlock(p)).toBeNull();
  a!.release();
  a!.release(); // idempotent
  const b = tryFlock(p);
  expect(b).not.toBeNull();
  b!.release();
});

test("isAt notices a file renamed over the locked path", () => {
  const p = join(dir, "x.lock");
  const a = tryFlock(p)!;
  expect(a.isAt()).toBe(true);
  writeFileSync(join(dir, "fresh"), "");
  renameSync(join(dir, "fresh"), p);
  expect(a.isAt()).toBe(false);
  expect(tryFlock(p)).not.toBeNull(); // the new inode is free
  a.release();
  expect(a.isAt()).toBe(false);
});

test("acquireFlock waits for a release and gives up at its deadline", async () => {
  const p = join(dir, "e.lock");
  const a = tryFlock(p)!;
  expect(await acquireFlock(p, 20)).toBeNull();
  const waiting = acquireFlock(p, 5000);
  a.release();
  const b = await waiting;
  expect(b).not.toBeNull();
  b!.release();
});
