// ResMan's admin calls when a commit fails: one sentence saying why, and users, grants, pools and quotas as they were.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterDir } from "../cluster/index.ts";
import { RpcClient, RpcServer } from "../rpc/index.ts";
import { openMemoryStore } from "../store/index.ts";
import { failingStore, type FailingStore } from "../testing/failing-store.ts";
import { registerAdminHandlers } from "./admin-handlers.ts";
import { ResManShell } from "./server.ts";

let dir = "";
let store: FailingStore;
let shell: ResManShell;
let server: RpcServer;
let admin: RpcClient;
const full = () => Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
const said = (p: Promise<unknown>) => p.then(() => "accepted", (e) => (e as Error).message);
const FULL = "ResMan's disk is full, so the change was not made";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "galaxy-rm-full-"));
  store = failingStore(openMemoryStore());
  shell = new ResManShell(store, new ClusterDir(dir), { dataDir: dir, clusterDir: dir, host: "", port: 0, advertise: "", log: () => {}, bootstrapAdminToken: "tok" });
  await shell.becomeLeader({ role: "resman", epoch: 1, isLeader: () => true, lost: () => new Promise(() => {}), release: () => {} });
  server = new RpcServer({ role: "resman", secret: () => "", authenticateUser: (u, t) => shell.authenticateUser(u, t) });
  registerAdminHandlers(server, shell);
  const { port } = server.listen("127.0.0.1", 0);
  admin = new RpcClient({ addresses: [`127.0.0.1:${port}`], credentials: { user: "admin", token: "tok" } });
});
afterAll(async () => {
  shell.stopTimers();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

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
