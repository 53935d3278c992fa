// FetchTasks held as a long-poll: answered at once when a reply asks something of a pod, else held until one of the
// pods' jobs changes (here: another pod of the job reports a failure), not by time (the sleep is the test's).
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { FetchTaskRequest } from "../rpc/types.ts";
import { fetchTasks, quietReply } from "./fetch-tasks.ts";
import { shellFixture, type ShellFixture } from "./shell-fixture.ts";

let f: ShellFixture;
let job = "";
beforeAll(async () => {
  f = await shellFixture();
  f.users.set("alice", { grants: { p1: ["submit", "update", "remove", "list"] } });
  const text = `
name: lp
deploy: {replica: 2, pools: [p1]}
pod:
  tasks:
    - name: main
      cpu: {millicores: 100}
      memory: {size: 64M}
      start: "exec sleep 1000"
`;
  job = (await f.as("alice").call("AppMaster/SubmitJob", { spec: { text, filename: "lp.yaml" } })).job.id;
  f.place(job, 2);
});
afterAll(() => f.close());

const report = (pod: string, state: string, version: number): FetchTaskRequest => ({
  podId: pod, containerId: pod, jobId: job, token: f.podToken(pod), state, version, agent: "a:1", epochSeen: 0, tasks: [], pid: 1, opId: "", message: "",
});

test("a reply that asks nothing new is quiet; start of another version, rebuild, terminate are not", () => {
  const r = { epoch: 1, command: "start", version: 2, podJson: "", intervalMs: 1000, stopTimeout: "", opId: "" };
  expect(quietReply(report("x", "running", 2), r)).toBe(true);
  expect(quietReply(report("x", "running", 1), r)).toBe(false);
  expect(quietReply(report("x", "starting", 2), r)).toBe(false);
  expect(quietReply(report("x", "running", 2), { ...r, intervalMs: 300 })).toBe(false); // AppMaster is pacing
  expect(quietReply(report("x", "running", 2), { ...r, command: "none", intervalMs: 500 })).toBe(false); // warming up
  for (const command of ["rebuild", "reload", "terminate"]) expect(quietReply(report("x", "running", 2), { ...r, command })).toBe(false);
});

test("held while quiet, woken by a change of the job's pods; answered at once when not quiet", async () => {
  const version = f.shell.mustCore().jobs.get(job)!.version;
  const [p0, p1] = [`${job}.0`, `${job}.1`];
  let sleeps = 0;
  const none = async () => {
    throw new Error("not held: answered without waiting");
  };
  // a pod still starting: answered at once
  expect((await fetchTasks(f.shell, [report(p0, "starting", version)], 5000, none)).errors).toEqual([""]);
  await fetchTasks(f.shell, [report(p0, "running", version), report(p1, "running", version)], 0);
  let wake: () => void = () => {};
  const held = fetchTasks(f.shell, [report(p0, "running", version)], 5000, () => (sleeps++, new Promise<void>((ok) => (wake = ok))));
  await waitUntil(() => sleeps === 1); // held
  await f.internal().call("AppMaster/FetchTask", report(p1, "failed", version)); // the job's other pod changes
  wake();
  const r = await held;
  expect(sleeps).toBe(1); // woken by the change, not by the time running out
  expect(r.errors).toEqual([""]);
  expect(r.replies[0]!.epoch).toBeGreaterThan(0);
});

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await Bun.sleep(10);
  expect(cond()).toBe(true);
}
