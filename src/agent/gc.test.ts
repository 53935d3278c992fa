import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveState } from "../appworker/state-file.ts";
import { openMemoryStore } from "../store/index.ts";
import { dueForDeletion, dueForForgetting, FORGET_AFTER_MS, keepsWhole, keptPath, toKeptContainer, WorkspaceGc } from "./gc.ts";

const dir = mkdtempSync(join(tmpdir(), "galaxy-gc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A workspace as a worker leaves it: a log, and its state file with the task's end. */
function workspace(id: string, exitCode: number): string {
  const ws = join(dir, id);
  mkdirSync(join(ws, "logs"), { recursive: true });
  mkdirSync(join(ws, "app"), { recursive: true });
  writeFileSync(join(ws, "app", "big.bin"), "package and data");
  writeFileSync(join(ws, "logs", "main.out"), `hello from ${id}\n`);
  saveState(ws, {
    epochSeen: 1, plan: null, opId: "", failure: "", failedVersion: 0, terminating: false,
    tasks: [{ name: "main", state: exitCode === 0 ? "exited" : "failed", pid: 0, pidStart: 0, startedAt: 5, restarts: 0, exitCode, signal: "", message: `exited ${exitCode}` }],
  });
  return ws;
}

test("an ended container's workspace is moved aside with its tasks' last states, deleted when its time is up, then forgotten", async () => {
  const store = openMemoryStore();
  const gc = new WorkspaceGc(store, () => {});
  const a = workspace("a.0", 0);
  const k = gc.keep({ containerId: "a.0", workspace: a, owner: "u", failure: "" }, 1000, 500);
  expect(existsSync(a)).toBe(false); // a new container a.0 would start in an empty workspace
  expect(k.workspace).toBe(keptPath(a, 1000));
  expect(readFileSync(join(gc.find("a.0")!.workspace, "logs", "main.out"), "utf8")).toBe("hello from a.0\n");
  expect(readdirSync(k.workspace).sort()).toEqual([".galaxy", "logs"]); // it ended well: only its logs and worker state
  expect(toKeptContainer(k)).toMatchObject({ containerId: "a.0", keptAt: 1000, deleteAt: 1500, collectedAt: 0, failure: "", tasks: [{ name: "main", state: "exited", exitCode: 0, message: "exited 0" }] });
  expect(gc.sweep(1499)).toBe(0);
  expect(gc.sweep(1500)).toBe(1);
  expect(existsSync(k.workspace)).toBe(false);
  expect(gc.find("a.0")).toBeUndefined(); // its logs are gone…
  expect(toKeptContainer(gc.list()[0]!)).toMatchObject({ collectedAt: 1500, tasks: [{ exitCode: 0 }] }); // …its record says so
  await gc.durable(); // records are committed off the event loop
  expect(new WorkspaceGc(store, () => {}).list().length).toBe(1); // survives a restart (same store)
  expect(gc.sweep(1500 + FORGET_AFTER_MS - 1)).toBe(0);
  expect(gc.list().length).toBe(1);
  gc.sweep(1500 + FORGET_AFTER_MS);
  expect(gc.list()).toEqual([]);
});

test("a later generation of the same container replaces the older kept workspace; a workspace never made is recorded with its failure", () => {
  const gc = new WorkspaceGc(openMemoryStore(), () => {});
  const first = gc.keep({ containerId: "b.0", workspace: workspace("b.0", 3), owner: "u", failure: "" }, 10, 1000);
  const second = gc.keep({ containerId: "b.0", workspace: workspace("b.0", 0), owner: "u", failure: "" }, 20, 1000);
  expect(existsSync(first.workspace)).toBe(false);
  expect(readdirSync(second.workspace).sort()).toEqual([".galaxy", "logs"]);
  expect(readFileSync(join(second.workspace, "logs", "main.out"), "utf8")).toBe("hello from b.0\n");
  const never = gc.keep({ containerId: "c.0", workspace: join(dir, "c.0"), owner: "u", failure: "placement failed: port 1 is taken" }, 30, 1000);
  expect(toKeptContainer(never)).toMatchObject({ failure: "placement failed: port 1 is taken", tasks: [] });
});

test("a container whose task failed is kept whole (its core file, what it left)", () => {
  const gc = new WorkspaceGc(openMemoryStore(), () => {});
  const k = gc.keep({ containerId: "d.0", workspace: workspace("d.0", 3), owner: "u", failure: "" }, 10, 1000);
  expect(readdirSync(k.workspace).sort()).toEqual([".galaxy", "app", "logs"]);
  expect(keepsWhole("", [])).toBe(false);
  expect(keepsWhole("killed: workspace over its size", [])).toBe(true);
  const t = { name: "main", state: "stopped", exitCode: 3, signal: "", message: "exited 3", restarts: 0, startedAt: 0 };
  expect(keepsWhole("", [t])).toBe(true); // exited 3, then stopped by a terminating worker
  expect(keepsWhole("", [{ ...t, exitCode: 143, signal: "SIGTERM", message: "killed by SIGTERM" }])).toBe(false); // a removed service
});

test("pure: which are due for deletion and for forgetting", () => {
  const k = (id: string, deleteAt: number, collectedAt = 0) => ({ containerId: id, workspace: "/w/" + id, deleteAt, owner: "u", collectedAt });
  const all = [k("a", 10), k("b", 20), k("c", 5, 7), k("old", 1)];
  delete (all[3] as { collectedAt?: number }).collectedAt; // recorded by an older agent
  expect(dueForDeletion(all, 10).map((x) => x.containerId)).toEqual(["a", "old"]);
  expect(dueForForgetting(all, 7 + FORGET_AFTER_MS).map((x) => x.containerId)).toEqual(["c"]);
});
