import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tryFlock } from "../cluster/lock.ts";
import { ConflictError } from "../core/errors.ts";
import { heldMessage, lockUpDir, upLockPath } from "./dir-lock.ts";

const base = mkdtempSync(join(tmpdir(), "galaxy-up-lock-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

test("a held directory is refused with one sentence naming the holder's pid; released, it can be taken again", () => {
  const dir = join(base, "a");
  const first = lockUpDir(dir, 4242);
  expect(readFileSync(upLockPath(dir), "utf8")).toBe("4242\n");
  let err: unknown = null;
  try {
    lockUpDir(dir, 777);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConflictError);
  expect((err as Error).message).toBe(`${dir} is in use by another galaxy up (pid 4242); stop it first or give another --dir`);
  expect(readFileSync(upLockPath(dir), "utf8")).toBe("4242\n"); // the refused one wrote nothing
  first.release();
  const again = lockUpDir(dir, 777);
  expect(readFileSync(upLockPath(dir), "utf8")).toBe("777\n");
  again.release();
});

test("a lock file left by a dead process does not block (nobody holds its flock)", () => {
  const dir = join(base, "b");
  lockUpDir(dir, 1).release();
  writeFileSync(upLockPath(dir), "999999\n");
  const l = lockUpDir(dir, 5);
  expect(readFileSync(upLockPath(dir), "utf8")).toBe("5\n");
  l.release();
});

test("the sentence without a readable pid", () => {
  expect(heldMessage("/x", "")).toBe("/x is in use by another galaxy up; stop it first or give another --dir");
  expect(heldMessage("/x", "12\n")).toContain("(pid 12)");
});

test("a master an earlier galaxy up left running (it was killed) still holds DIR: refused, naming that master's pid", () => {
  const dir = join(base, "c");
  mkdirSync(join(dir, "cluster"), { recursive: true });
  lockUpDir(dir, 1).release(); // the earlier galaxy up is dead: its own lock is free
  const held = tryFlock(join(dir, "cluster", "resman.lock"))!; // …but its ResMan still leads
  writeFileSync(join(dir, "cluster", "resman.leader"), JSON.stringify({ addr: "127.0.0.1:1", epoch: 3, pid: 4321, since: 1, renewed: 1 }));
  expect(() => lockUpDir(dir, 2)).toThrow(`${dir} is in use by a ResMan (pid 4321) that an earlier galaxy up left running; stop it first or give another --dir`);
  expect(readFileSync(upLockPath(dir), "utf8")).toBe("1\n"); // untouched
  held.release();
  const l = lockUpDir(dir, 2); // the ResMan is gone: its lock file alone does not block
  l.release();
});
