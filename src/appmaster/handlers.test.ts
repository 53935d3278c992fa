// AppMaster's handlers as users and workers see them over HTTP: credentials act only on what they are bound to,
// authorisation answers from the caller's current grants, listings and errors show only what the caller may list,
// and cheap checks come before parsing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { shellFixture, type ShellFixture } from "./shell-fixture.ts";

const JOB = (name: string, pool = "p1", start = '"exec sleep 1000"') => `
name: ${name}
deploy: {replica: 2, pools: [${pool}]}
pod:
  tasks:
    - name: main
      cpu: {millicores: 100}
      memory: {size: 64M}
      start: ${start}
`;

let f: ShellFixture;
const code = (p: Promise<unknown>) => p.then(() => "OK", (e) => (e as { code: string }).code);
const message = (p: Promise<unknown>) => p.then(() => "accepted", (e) => (e as Error).message);
const submit = async (user: string, name: string, pool = "p1") =>
  (await f.as(user).call("AppMaster/SubmitJob", { spec: { text: JOB(name, pool), filename: `${name}.yaml` } })).job.id;

beforeAll(async () => {
  f = await shellFixture();
  f.users.set("admin", { admin: true });
  f.users.set("alice", { grants: { p1: ["submit", "update", "remove", "list"] } });
  f.users.set("bob", { grants: { p1: ["submit", "remove"] } });
});
afterAll(() => f.close());

describe("a worker's pod token acts on its own pod only", () => {
  let alicePod = "";
  let bobPod = "";
  let bobJob = "";
  beforeAll(async () => {
    const a = await submit("alice", "aweb");
    bobJob = await submit("bob", "bweb");
    f.place(a, 2);
    f.place(bobJob, 2);
    alicePod = `${a}.0`;
    bobPod = `${bobJob}.0`;
  });
  const report = (containerId: string, podId: string, jobId: string, token: string, state = "failed") =>
    f.internal().call("AppMaster/FetchTask", { containerId, podId, jobId, token, state, agent: "a:1", message: "I say so" });
  const bobState = () => f.shell.mustCore().pods.get(bobPod)!.state;

  test("a report for another user's pod under one's own token changes nothing", async () => {
    const job = alicePod.slice(0, alicePod.lastIndexOf("."));
    const before = JSON.stringify(f.shell.mustCore().pods.get(bobPod));
    expect(await message(report(alicePod, bobPod, bobJob, f.podToken(alicePod)))).toBe(
      `the pod token of container ${alicePod} may report only for pod ${alicePod} of job ${job}, not for pod ${bobPod} of job ${bobJob}`,
    );
    expect(await code(report(alicePod, alicePod, bobJob, f.podToken(alicePod)))).toBe("PERMISSION_DENIED");
    expect(await code(report(bobPod, bobPod, bobJob, f.podToken(alicePod)))).toBe("UNAUTHENTICATED");
    expect(await code(report(bobPod, bobPod, bobJob, ""))).toBe("UNAUTHENTICATED");
    expect(JSON.stringify(f.shell.mustCore().pods.get(bobPod))).toBe(before);
    expect(f.shell.mustCore().pods.get(bobPod)!.reported).toBe(false);
  });

  test("its own pod's report is recorded", async () => {
    expect(await code(report(bobPod, bobPod, bobJob, f.podToken(bobPod), "running"))).toBe("OK");
    expect(bobState()).toBe("running");
  });

  test("FetchTasks (a host worker's reports in one call): each report is judged by its own token; a bad one refuses only itself", async () => {
    const aliceJob = alicePod.slice(0, alicePod.lastIndexOf("."));
    const bob1 = `${bobJob}.1`;
    const before = JSON.stringify(f.shell.mustCore().pods.get(bob1));
    const r = await f.internal().call("AppMaster/FetchTasks", {
      reports: [
        { containerId: alicePod, podId: alicePod, jobId: aliceJob, token: f.podToken(alicePod), state: "running", agent: "a:1" },
        { containerId: bob1, podId: bob1, jobId: bobJob, token: f.podToken(alicePod), state: "failed", agent: "a:1" }, // alice's token
      ],
    });
    expect(r.errors[0]).toBe("");
    expect(r.replies[0]!.intervalMs).toBeGreaterThan(0); // a real answer for alice's pod
    expect(r.errors[1]).toContain("pod token");
    expect(r.replies[1]).toMatchObject({ command: "none", intervalMs: 0, podJson: "" }); // nothing for the refused one
    expect(f.shell.mustCore().pods.get(alicePod)!.state).toBe("running");
    expect(JSON.stringify(f.shell.mustCore().pods.get(bob1))).toBe(before); // untouched
  });
});

describe("authorisation answers from the caller's current grants; listings show only what it may list", () => {
  test("a grant given or taken applies to the very next call", async () => {
    f.users.set("carol", { grants: {} });
    expect(await message(submit("carol", "cweb"))).toBe("user carol may not submit in any pool");
    f.users.set("carol", { grants: { p1: ["submit"] } });
    expect(await submit("carol", "cweb")).toStartWith("cweb-");
    f.users.set("carol", { grants: { p2: ["submit"] } });
    expect(await message(submit("carol", "cweb"))).toBe("user carol may not submit in pool p1");
    f.users.delete("carol");
    expect(await code(f.as("carol").call("AppMaster/ListJobs", {}))).toBe("UNAUTHENTICATED");
  });

  test("ListJobs {all} from a user without `list` returns only its own jobs; with `list`, every job of the pool", async () => {
    const bobs = (await f.as("bob").call("AppMaster/ListJobs", { all: true })).jobs;
    expect(bobs.length).toBeGreaterThan(0);
    expect(new Set(bobs.map((j) => j.user))).toEqual(new Set(["bob"]));
    expect((await f.as("bob").call("AppMaster/ListJobs", { user: "alice" })).jobs).toEqual([]);
    const alices = (await f.as("alice").call("AppMaster/ListJobs", { all: true })).jobs;
    expect(new Set(alices.map((j) => j.user))).toEqual(new Set(["alice", "bob", "carol"]));
  });

  test("an ambiguous prefix names only the jobs the caller may see; a unique visible match resolves", async () => {
    const mine = [await submit("bob", "amb"), await submit("bob", "amb2")].sort(); // names are unique per user
    const hers = await submit("alice", "amb");
    const e = await f.as("bob").call("AppMaster/ShowJob", { id: "am" }).then(() => new Error("accepted"), (x) => x as Error);
    expect(e.message).toBe(`job prefix "am" matches 2: ${mine.join(", ")}`);
    expect(e.message).not.toContain(hers);
    expect(await code(f.as("admin").call("AppMaster/ShowJob", { id: "amb" }))).toBe("AMBIGUOUS");
    expect((await f.as("alice").call("AppMaster/ShowJob", { id: hers.slice(0, -1) })).job.id).toBe(hers);
  });
});

describe("cheap checks before expensive work", () => {
  test("a user who may submit nowhere is refused before its 2 MB, million-deep description is read", async () => {
    f.users.set("dave", {});
    const deep = "[".repeat(1_000_000) + "]".repeat(1_000_000);
    expect(await message(f.as("dave").call("AppMaster/SubmitJob", { spec: { text: deep, filename: "x.json" } }))).toBe("user dave may not submit in any pool");
    expect(await message(f.as("bob").call("AppMaster/SubmitJob", { spec: { text: deep, filename: "x.json" } }))).toBe(
      "x.json: the job description is 2000000 bytes; the limit is 1 MiB",
    );
    const nested = `x: ${"[".repeat(100)}${"]".repeat(100)}`;
    expect(await message(f.as("bob").call("AppMaster/SubmitJob", { spec: { text: nested, filename: "n.yaml" } }))).toBe(
      "n.yaml: the job description nests deeper than 64 levels",
    );
  });

  test("a request body over AppMaster's 2 MiB is refused before it is read", async () => {
    const text = "x".repeat(3 * 1024 * 1024);
    const e = await f.as("bob").call("AppMaster/SubmitJob", { spec: { text, filename: "huge.yaml" } }).then(() => null, (x) => x as { code: string });
    expect(e?.code).toBe("TOO_LARGE");
  });

  test("a start command over 64 KiB is refused in one sentence", async () => {
    const text = JOB("big", "p1", `"${"x".repeat(100 * 1024)}"`);
    expect(await message(f.as("bob").call("AppMaster/SubmitJob", { spec: { text, filename: "big.yaml" } }))).toBe(
      "pod.tasks[0].start is 102400 bytes; the limit is 64 KiB",
    );
  });

  test("an empty job id is refused and removes nothing", async () => {
    const before = f.shell.mustCore().jobs.size;
    expect(await message(f.as("admin").call("AppMaster/RemoveJob", { id: "" }))).toBe("a job id or name is required (an empty one would match every job)");
    expect(await code(f.as("admin").call("AppMaster/RemoveJob", { id: "  " }))).toBe("INVALID");
    expect([...f.shell.mustCore().jobs.values()].filter((j) => j.state === "destroying")).toEqual([]);
    expect(f.shell.mustCore().jobs.size).toBe(before);
  });
});

test("AppMaster asks ResMan at every call: a removed and re-added user never acts with the old one's token or grants", async () => {
  const resman = new Map([["erin", { token: "t1", grants: [{ user: "erin", pool: "p1", allow: ["submit"] }] }]]);
  const fake = async (_method: string, req: { user: string; token: string }) => {
    const u = resman.get(req.user);
    if (!u || u.token !== req.token) throw Object.assign(new Error("invalid token"), { code: "UNAUTHENTICATED" });
    return { user: { name: req.user, admin: false, createdAt: 1 }, grants: u.grants };
  };
  (f.shell.resman as unknown as { call: typeof fake }).call = fake;
  expect((await f.shell.authenticateUser("erin", "t1"))?.grants).toEqual({ p1: ["submit"] });
  resman.set("erin", { token: "t2", grants: [] }); // removed, then added again under the same name
  expect(await f.shell.authenticateUser("erin", "t1")).toBeNull();
  expect((await f.shell.authenticateUser("erin", "t2"))?.grants).toEqual({});
  resman.get("erin")!.grants.push({ user: "erin", pool: "p2", allow: ["list"] });
  expect((await f.shell.authenticateUser("erin", "t2"))?.grants).toEqual({ p2: ["list"] });
});

describe("apply and history over RPC", () => {
  test("apply updates the caller's job of that name (another user's is not theirs); history lists versions, even of an old record", async () => {
    const first = await f.as("alice").call("AppMaster/SubmitJob", { spec: { text: JOB("hist"), filename: "hist.yaml" }, apply: true });
    expect(first.action).toBe("created");
    const again = await f.as("alice").call("AppMaster/SubmitJob", { spec: { text: JOB("hist", "p1", '"exec sleep 2000"'), filename: "hist.yaml" }, apply: true, dryRun: true });
    expect(again).toMatchObject({ action: "updated", change: "rebuild", diff: ['- pod.tasks.main.start: "exec sleep 1000"', '+ pod.tasks.main.start: "exec sleep 2000"'] });
    const bobs = await f.as("bob").call("AppMaster/SubmitJob", { spec: { text: JOB("hist"), filename: "hist.yaml" }, apply: true });
    expect(bobs.action).toBe("created"); // names are unique per user
    const core = f.shell.mustCore();
    const { history, ...old } = core.jobs.get(first.job.id)!; // a record stored before versions were kept
    core.jobs.set(old.id, old);
    const h = await f.as("alice").call("AppMaster/JobHistory", { id: old.id });
    expect(h.versions.map((v) => [v.version, v.user, v.change])).toEqual([[1, "alice", "(versions before this one were not kept)"]]);
    expect(h.current).toBe(1);
  });
});
