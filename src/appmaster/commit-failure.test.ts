// A commit that fails changes nothing in memory and says why: with AppMaster's store refusing to commit, a submit or
// a remove answers one sentence ("AppMaster's disk is full, …") and the job listing is what it was before.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openMemoryStore } from "../store/index.ts";
import { failingStore, lmdbCommitFailure } from "../testing/failing-store.ts";
import { AppMasterCore, DEFAULT_CORE_OPTIONS } from "./core.ts";
import { spec } from "./fixtures.ts";
import { shellFixture, type ShellFixture } from "./shell-fixture.ts";

const JOB = (name: string) => `
name: ${name}
deploy: {replica: 1, pools: [p1]}
pod: {tasks: [{name: main, cpu: {millicores: 100}, memory: {size: 64M}, start: "exec sleep 1000"}]}
`;

let f: ShellFixture;
let store: ReturnType<typeof failingStore>;
let groupsSent = 0;
const alice = () => f.as("alice");
const listed = async () => (await alice().call("AppMaster/ListJobs", {})).jobs.map((j) => `${j.name} ${j.state}`).sort();
const failed = (p: Promise<unknown>) => p.then(() => ({ code: "OK", message: "" }), (e) => ({ code: (e as { code: string }).code, message: (e as Error).message }));

beforeAll(async () => {
  store = failingStore(openMemoryStore());
  f = await shellFixture(store);
  f.users.set("alice", { grants: { p1: ["submit", "remove", "list"] } });
  f.shell.sendGroup = async () => void groupsSent++;
});
afterAll(() => f.close());

describe("a commit that fails changes nothing and says why", () => {
  test("submit on a full disk: one sentence, no job listed, no group asked of ResMan, none after the disk has room", async () => {
    await alice().call("AppMaster/SubmitJob", { spec: { text: JOB("kept"), filename: "kept.yaml" } });
    const sent = groupsSent;
    store.failure = lmdbCommitFailure("MDB_MAP_FULL: Environment mapsize limit reached");
    expect(await failed(alice().call("AppMaster/SubmitJob", { spec: { text: JOB("lost"), filename: "lost.yaml" } }))).toEqual({
      code: "UNAVAILABLE", message: "AppMaster's disk is full, so the change was not made",
    });
    store.failure = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    expect((await failed(alice().call("AppMaster/SubmitJob", { spec: { text: JOB("lost"), filename: "lost.yaml" } }))).message).toBe(
      "AppMaster's disk is full, so the change was not made",
    );
    expect(await listed()).toEqual(["kept pending"]);
    expect(groupsSent).toBe(sent);
    store.failure = null;
    await f.shell.syncOnce().catch(() => {}); // no ResMan here: the round's own decisions still run
    expect(await listed()).toEqual(["kept pending"]);
  });

  test("remove on a failing disk: the job stays as it was; any other failure is named", async () => {
    store.failure = new Error("EIO: i/o error");
    expect(await failed(alice().call("AppMaster/RemoveJob", { id: "kept" }))).toEqual({
      code: "UNAVAILABLE", message: "AppMaster could not commit the change (EIO: i/o error), so it was not made",
    });
    expect(await listed()).toEqual(["kept pending"]);
    store.failure = null;
    await alice().call("AppMaster/RemoveJob", { id: "kept" });
    expect(await listed()).toEqual(["kept destroying"]);
  });
});

test("undo puts back what a failed commit's writes changed, and leaves a later change to the same job alone", () => {
  const core = new AppMasterCore(1, [], 0, DEFAULT_CORE_OPTIONS);
  const { job, out: submitted } = core.submit(spec(), "alice", 0, "0001");
  const scaled = core.scale(job.id, 5, 1);
  core.undo(scaled.out);
  expect(core.jobs.get(job.id)).toBe(job);
  const first = core.scale(job.id, 5, 2);
  const second = core.scale(job.id, 7, 3);
  core.undo(first.out); // committed after `second` was decided: `second` stands
  expect(core.jobs.get(job.id)).toBe(second.job);
  core.undo(second.out);
  expect(core.jobs.get(job.id)!.spec.deploy.replica).toBe(5);
  core.undo(submitted);
  expect(core.jobs.has(job.id)).toBe(true); // memory no longer holds what the submit wrote
  const removed = core.forget(job.id);
  core.undo(removed);
  expect(core.jobs.has(job.id)).toBe(true);
});
