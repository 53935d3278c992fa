import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidError } from "../core/errors.ts";
import { ClusterDir, parseLeaderInfo } from "./cluster-dir.ts";

let root = "";
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "galaxy-cdir-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test("the constructor creates the directory; absent files read as null and epoch 0", () => {
  const d = new ClusterDir(join(root, "a", "b"));
  expect(statSync(d.path).isDirectory()).toBe(true);
  expect(d.readLeader("resman")).toBeNull();
  expect(d.readEpoch("appmaster")).toBe(0);
});

test("secret() is created once, mode 0600, and every reader sees the same value", () => {
  const a = new ClusterDir(root);
  const s = a.secret();
  expect(s).toMatch(/^[0-9a-f]{64}$/);
  expect(statSync(join(root, "secret")).mode & 0o777).toBe(0o600);
  expect(a.secret()).toBe(s);
  expect(new ClusterDir(root).secret()).toBe(s);
  expect(readdirSync(root)).toEqual(["secret"]);
});

test("writeFileAtomic replaces the file, sets its mode and leaves no tmp files", () => {
  const d = new ClusterDir(root);
  d.writeFileAtomic("naming/job-a", "one", 0o640);
  d.writeFileAtomic("naming/job-a", "two", 0o640);
  expect(readFileSync(join(d.namingDir(), "job-a"), "utf8")).toBe("two");
  expect(statSync(join(root, "naming", "job-a")).mode & 0o777).toBe(0o640);
  expect(readdirSync(join(root, "naming"))).toEqual(["job-a"]);
  expect(d.writeFileAtomicIf("x", "y", 0o644, () => false)).toBe(false);
  expect(readdirSync(root).sort()).toEqual(["naming"]);
  expect(() => d.writeFileAtomic("../escape", "z")).toThrow(InvalidError);
});

test("writeFileAtomicIfAsync: the same replace, its check right before the rename, no tmp file left either way", async () => {
  const d = new ClusterDir(root);
  writeFileSync(join(root, "resman.leader"), "old\n");
  let checked = 0;
  expect(await d.writeFileAtomicIfAsync("resman.leader", "new\n", 0o640, () => (checked++, true))).toBe(true);
  expect(readFileSync(join(root, "resman.leader"), "utf8")).toBe("new\n");
  expect(statSync(join(root, "resman.leader")).mode & 0o777).toBe(0o640);
  expect(await d.writeFileAtomicIfAsync("resman.leader", "refused\n", 0o644, () => (checked++, false))).toBe(false);
  expect(readFileSync(join(root, "resman.leader"), "utf8")).toBe("new\n");
  expect(checked).toBe(2);
  expect(readdirSync(root)).toEqual(["resman.leader"]);
  expect(d.writeFileAtomicIfAsync("../escape", "z", 0o644, () => true)).rejects.toThrow(InvalidError);
});

test("leader and epoch files are read back; garbage leader files read as null", () => {
  const d = new ClusterDir(root);
  const info = { addr: "h:1645", epoch: 7, pid: 123, since: 1, renewed: 2 };
  d.writeFileAtomic("resman.leader", JSON.stringify(info));
  d.writeFileAtomic("resman.epoch", "7\n");
  expect(d.readLeader("resman")).toEqual(info);
  expect(d.readEpoch("resman")).toBe(7);
  writeFileSync(join(root, "appmaster.leader"), "{not json");
  expect(d.readLeader("appmaster")).toBeNull();
  expect(parseLeaderInfo(JSON.stringify({ ...info, pid: "x" }))).toBeNull();
  writeFileSync(join(root, "appmaster.epoch"), "seven");
  expect(() => d.readEpoch("appmaster")).toThrow("corrupt epoch file");
});
