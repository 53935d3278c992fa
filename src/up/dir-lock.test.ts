import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
