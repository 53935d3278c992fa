// ResMan's cluster calls for users: an ambiguous group prefix names only the groups the caller may see; an empty
// group id or agent endpoint is refused (the empty prefix would match everything); a grant applies at the next call.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { openMemoryStore } from "../store/index.ts";
import { resmanFixture, type ResManFixture } from "./shell-fixture.ts";
import { group, hb } from "./test-fixtures.ts";

let f: ResManFixture;
let bobToken = "";
let aliceToken = "";
const said = (p: Promise<unknown>) => p.then(() => "accepted", (e) => (e as Error).message);

beforeAll(async () => {
  f = await resmanFixture(openMemoryStore());
  await f.admin.call("ResMan/AddPool", { name: "p1" });
  bobToken = (await f.admin.call("ResMan/AddUser", { name: "bob" })).token;
  aliceToken = (await f.admin.call("ResMan/AddUser", { name: "alice" })).token;
  await f.admin.call("ResMan/SetGrant", { grant: { user: "bob", pool: "p1", allow: ["submit"] } });
  await f.admin.call("ResMan/SetGrant", { grant: { user: "alice", pool: "p1", allow: ["submit"] } });
  const core = f.shell.mustCore();
  core.heartbeat(hb("a:1", []), Date.now());
  for (const [id, user] of [["web-bob-1", "bob"], ["web-bob-2", "bob"], ["web-alice-1", "alice"]] as const) {
    core.createGroup(group(id, 0, "service", { user, pools: ["p1"] }), Date.now());
  }
});
afterAll(() => f.close());

test("an ambiguous group prefix names only the caller's groups; an admin's names all", async () => {
  const bob = f.as("bob", bobToken);
  expect(await said(bob.call("ResMan/ShowGroup", { id: "web-" }))).toBe('group prefix "web-" matches 2: web-bob-1, web-bob-2');
  expect(await said(f.admin.call("ResMan/ShowGroup", { id: "web-" }))).toBe('group prefix "web-" matches 3: web-alice-1, web-bob-1, web-bob-2');
  expect(await said(f.as("alice", aliceToken).call("ResMan/ShowGroup", { id: "web-" }))).toBe("accepted"); // her only one
});

test("an empty group id or agent endpoint is refused", async () => {
  expect(await said(f.admin.call("ResMan/ShowGroup", { id: "" }))).toBe("a group id is required (an empty one would match every group)");
  expect(await said(f.admin.call("ResMan/RemoveAgent", { endpoint: " " }))).toBe("an agent endpoint is required (an empty one would match every agent)");
  expect(f.shell.mustCore().agents.has("a:1")).toBe(true);
});

test("a grant given, or a user removed, applies to the very next call", async () => {
  const bob = f.as("bob", bobToken);
  expect(await said(bob.call("ResMan/ShowAgent", { endpoint: "a:1" }))).toBe("user bob may not list in pool default");
  await f.admin.call("ResMan/SetGrant", { grant: { user: "bob", pool: "default", allow: ["list"] } });
  expect(await said(bob.call("ResMan/ShowAgent", { endpoint: "a:1" }))).toBe("accepted");
  await f.admin.call("ResMan/RemoveUser", { name: "bob" });
  expect((await said(bob.call("ResMan/ShowAgent", { endpoint: "a:1" })))).toStartWith("missing or invalid credentials");
  // bob's groups remain: a new bob would own them
  expect(await said(f.admin.call("ResMan/AddUser", { name: "bob" }))).toBe(
    "jobs of a removed user bob remain (web-bob-1, web-bob-2); remove them before adding bob again",
  );
  for (const id of ["web-bob-1", "web-bob-2"]) f.shell.mustCore().removeGroup(id);
  const again = (await f.admin.call("ResMan/AddUser", { name: "bob" })).token;
  expect((await said(bob.call("ResMan/ShowAgent", { endpoint: "a:1" })))).toStartWith("missing or invalid credentials");
  expect(await said(f.as("bob", again).call("ResMan/ShowAgent", { endpoint: "a:1" }))).toBe("user bob may not list in pool default");
});
