import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openMemoryStore } from "../store/index.ts";
import { dueForDeletion, WorkspaceGc } from "./gc.ts";

const dir = mkdtempSync(join(tmpdir(), "galaxy-gc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("kept workspaces are deleted once their time is up, and forgotten", () => {
  const store = openMemoryStore();
  const gc = new WorkspaceGc(store, () => {});
  for (const id of ["a.0", "b.0"]) mkdirSync(join(dir, id));
  gc.keep({ containerId: "a.0", workspace: join(dir, "a.0"), deleteAt: 1000, owner: "u" });
  gc.keep({ containerId: "b.0", workspace: join(dir, "b.0"), deleteAt: 5000, owner: "u" });
  expect(dueForDeletion(gc.list(), 1000).map((k) => k.containerId)).toEqual(["a.0"]);
  expect(gc.sweep(999)).toBe(0);
  expect(gc.sweep(1000)).toBe(1);
  expect([existsSync(join(dir, "a.0")), existsSync(join(dir, "b.0"))]).toEqual([false, true]);
  expect(gc.find("a.0")).toBeUndefined();
  expect(new WorkspaceGc(store, () => {}).find("b.0")?.owner).toBe("u"); // survives a restart (same store)
});
