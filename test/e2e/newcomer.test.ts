// The whole sequence a new user types, with the compiled executable, checking what each command prints:
// galaxy up, plan, submit --wait, jobs, pods, logs, update --watch, events, remove.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { httpGet, ROOT, startUp, stopUp, waitFor, World } from "./harness.ts";

setDefaultTimeout(120_000); // e2e: every wait below has its own deadline; bun's 5 s default would cut them short

describe("a new user's first session", () => {
  const w = new World();
  let up: ChildProcess;
  const hello = join(ROOT, "testdata/jobs/hello.yaml");
  let id = "";

  beforeAll(async () => {
    ({ up } = await startUp(w, 2));
  });

  afterAll(async () => {
    await stopUp(w, up);
  });

  test("galaxy up says where everything is and writes the client config", () => {
    expect(w.log("up")).toMatch(/Galaxy is up: resman 127\.0\.0\.1:\d+, appmaster 127\.0\.0\.1:\d+, 2 agents\./);
    expect(w.log("up")).toContain(`Client config written to ${join(w.dir, ".galaxy", "config")} (user admin)`);
  });

  test("plan says the job fits and where", () => {
    const r = w.run(["plan", "-f", hello]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("3 of 3 pods of hello fit");
    expect(r.stdout).toMatch(/AGENT\s+PODS/);
  });

  test("submit --wait prints the id, shows progress, and returns when every pod runs", () => {
    const r = w.run(["submit", "-f", hello, "--wait"]);
    expect(r.code).toBe(0);
    id = r.stdout.trim();
    expect(id).toMatch(/^hello-\d{8}-\d{4}-[0-9a-f]{4}$/);
    expect(r.stderr.trim().split("\n").at(-1)).toBe(`${id}: 3/3 running`);
  });

  test("jobs and pods show it running", () => {
    expect(w.run(["jobs"]).stdout).toMatch(new RegExp(`${id}\\s+hello\\s+service\\s+admin\\s+running`));
    const pods = w.run(["pods", "-j", "hello"]).stdout.split("\n");
    expect(pods[0]).toMatch(/^POD\s+AGENT\s+STATUS/);
    expect(pods.filter((l) => l.includes(" running ")).length).toBe(3);
  });

  test("logs shows what a task wrote", async () => {
    const pod = w.json(["pods", "-j", id])[0];
    await httpGet(pod.ports[0].port);
    const r = w.run(["logs", pod.id, "--tail", "5"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`listening on ${pod.ports[0].port}`);
  });

  test("update --watch rolls a new version out and says when it is done", async () => {
    const v2 = join(w.dir, "hello-v2.yaml");
    writeFileSync(v2, readFileSync(hello, "utf8").replace("'hello from '", "'hello v2 from '"));
    const r = w.run(["update", "hello", "-f", v2, "--watch"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("3/3 pods on version 2 (done)");
    for (const p of w.json(["pods", "-j", id])) expect(await httpGet(p.ports[0].port)).toBe(`hello v2 from ${p.id}\n`);
  });

  test("events tell the story", () => {
    const r = w.run(["events", "hello"]);
    expect(r.code).toBe(0);
    for (const kind of ["placed", "start", "update"]) expect(r.stdout).toContain(kind);
  });

  test("remove stops it and the list is empty again", async () => {
    expect(w.run(["remove", "hello"]).stdout).toBe(`${id} removing\n`);
    await waitFor("no jobs", () => w.run(["jobs"]).stdout === "No jobs.\n", 30_000);
  });
});
