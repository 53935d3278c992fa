// ResMan's admin calls when a commit fails: one sentence saying why, and users, grants, pools and quotas as they were.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RpcClient } from "../rpc/index.ts";
import { openMemoryStore } from "../store/index.ts";
import { failingStore, type FailingStore } from "../testing/failing-store.ts";
import type { ResManShell } from "./server.ts";
import { resmanFixture, type ResManFixture } from "./shell-fixture.ts";
import { group } from "./test-fixtures.ts";

let store: FailingStore;
let f: ResManFixture;
let admin: RpcClient;
let shell: ResManShell;
const full = () => Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
const said = (p: Promise<unknown>) => p.then(() => "accepted", (e) => (e as Error).message);
const FULL = "ResMan's disk is full, so the change was not made";

beforeAll(async () => {
  store = failingStore(openMemoryStore());
  f = await resmanFixture(store);
  admin = f.admin;
  shell = f.shell;
});
afterAll(() => f.close());

test("a user, a grant, a pool or a quota whose commit fails is not there afterwards", async () => {
  const users = async () => (await admin.call("ResMan/ListUsers", {})).users.map((u) => u.name);
  await admin.call("ResMan/AddPool", { name: "p1" });
  const { token } = await admin.call("ResMan/AddUser", { name: "bob" });
  store.failure = full();
  expect(await said(admin.call("ResMan/AddUser", { name: "carol" }))).toBe(FULL);
  expect(await said(admin.call("ResMan/SetGrant", { grant: { user: "bob", pool: "p1", allow: ["submit"] } }))).toBe(FULL);
  expect(await said(admin.call("ResMan/AddPool", { name: "p2" }))).toBe(FULL);
  expect(await said(admin.call("ResMan/SetQuota", { quota: { user: "bob", replica: 3 } }))).toBe(FULL);
  expect(await said(admin.call("ResMan/RemoveUser", { name: "bob" }))).toBe(FULL);
  store.failure = null;
  expect(await users()).toEqual(["admin", "bob"]);
  expect((await admin.call("ResMan/ListGrants", { user: "bob" })).grants).toEqual([]);
  expect((await admin.call("ResMan/ListPools", {})).pools.map((p) => p.name)).toEqual(["default", "p1"]);
  expect((await admin.call("ResMan/GetQuota", { quota: { user: "bob" } })).quota.replica).toBe(0);
  expect(await shell.authenticateUser("bob", token)).not.toBeNull();
  await admin.call("ResMan/AddUser", { name: "carol" }); // not "already exists": the failed one left nothing behind
  await admin.call("ResMan/AddPool", { name: "p2" });
});

test("a group AppMaster creates, changes or removes while the commit fails stays as it was", async () => {
  const ids = async () => (await admin.call("ResMan/ListGroups", {})).groups.map((g) => `${g.spec.id}:${g.spec.replica}`);
  const g = group("svc", 1, "service", { user: "" });
  store.failure = full();
  expect(await said(f.internal.call("ResMan/CreateGroup", { amEpoch: 2, group: g }))).toBe(FULL);
  expect(await ids()).toEqual([]);
  store.failure = null;
  await f.internal.call("ResMan/CreateGroup", { amEpoch: 2, group: g });
  store.failure = full();
  expect(await said(f.internal.call("ResMan/UpdateGroup", { amEpoch: 2, group: { ...g, replica: 3 } }))).toBe(FULL);
  expect(await said(f.internal.call("ResMan/RemoveGroup", { amEpoch: 2, id: "svc" }))).toBe(FULL);
  store.failure = null;
  expect(await ids()).toEqual(["svc:1"]);
});
