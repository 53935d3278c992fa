// Two promises of issue 14, with the compiled executable: a second `galaxy up` on a directory a live cluster holds
// refuses and touches nothing (the first cluster's pods keep their pids and keep answering); and `galaxy logs` reads
// a batch pod after its job finished (AppMaster forgot the pod: the agent kept its workspace for --gc-delay), shows
// how it ended, and once the delay is over says its logs were collected.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { alive, freeAgentPorts, freePortBase, httpGet, processesMentioning, requireBinary, ROOT, stopChild, waitFor, World } from "./harness.ts";

setDefaultTimeout(180_000); // e2e: every wait below has its own deadline

interface PodJson {
  id: string;
  agent: string;
  state: string;
  ports: { port: number }[];
  tasks: { pid: number }[];
}

describe("galaxy up holds its directory; galaxy logs reads ended pods", () => {
  const w = new World();
  const dir = join(w.dir, "g");
  let up: ChildProcess;

  beforeAll(async () => {
    requireBinary();
    const base = await freePortBase(20);
    up = w.start("up", ["up", "--dir", dir, "--agents", "2", "--port", String(base), "--ports-from", String(await freeAgentPorts(2)), "--gc-delay", "60s"]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 60_000);
  });

  afterAll(async () => {
    if (up) await stopChild(up, "SIGINT", 30_000);
    await w.cleanup();
  });

  const pods = (job: string) => w.json<PodJson[]>(["pods", "-j", job]);
  const jobFile = (name: string, text: string) => {
    const f = join(w.dir, `${name}.yaml`);
    writeFileSync(f, text);
    return f;
  };

  test("a second galaxy up on the same --dir refuses in one sentence naming the holder; the first cluster's pods keep their pids and answer", async () => {
    const id = w.run(["submit", "-f", join(ROOT, "testdata/jobs/hello.yaml"), "--wait"]).stdout.trim();
    const before = pods(id);
    const pids = before.map((p) => p.tasks[0]!.pid).sort();
    expect(pids.length).toBe(3);
    const config = readFileSync(join(w.dir, ".galaxy", "config"), "utf8");

    const second = w.run(["up", "--dir", dir, "--agents", "2", "--port", String(await freePortBase(20)), "--ports-from", String(await freeAgentPorts(2))]);
    expect(second.code).not.toBe(0);
    expect(second.stdout).toBe("");
    expect(second.stderr).toBe(`Error: ${dir} is in use by another galaxy up (pid ${up.pid}); stop it first or give another --dir\n`);

    expect(readFileSync(join(w.dir, ".galaxy", "config"), "utf8")).toBe(config); // the client config is untouched
    const after = pods(id);
    expect(after.map((p) => p.tasks[0]!.pid).sort()).toEqual(pids);
    for (const pid of pids) expect(alive(pid)).toBe(true);
    for (const p of after) expect(await httpGet(p.ports[0]!.port)).toBe(`hello from ${p.id}\n`);
    expect(up.exitCode).toBeNull(); // the first galaxy up still runs
    expect(w.run(["remove", id]).code).toBe(0);
  });

  test("galaxy up --help says one galaxy up per --dir; galaxy logs --help says ended pods stay readable for --gc-delay", () => {
    expect(w.run(["up", "--help"]).stdout).toContain("One galaxy up per --dir");
    const help = w.run(["logs", "--help"]).stdout;
    expect(help).toContain("stays readable, even once its job\n  is gone, until its agent collects its workspace (--gc-delay, 10m default)");
  });

  let finishedPod = "";

  test("a finished batch pod's output and exit status stay readable after its job finished and AppMaster forgot it", async () => {
    const id = w.run(["submit", "-f", jobFile("ok", `name: ok
type: batch
deploy: {replica: 1, pools: [default], stop_timeout: 1s}
pod:
  workspace: {size: 16M}
  tasks: [{name: main, cpu: {millicores: 100}, memory: {size: 32M}, start: "echo hello-from-batch; exit 0"}]
`)]).stdout.trim();
    await waitFor("the batch job finished", () => (w.json<{ id: string; state: string }[]>(["jobs"])).find((j) => j.id === id)?.state === "finished", 60_000);
    await waitFor("its pod gone from the pod table", () => pods(id).length === 0, 30_000);
    finishedPod = `${id}.0`;
    const r = w.run(["logs", finishedPod]);
    expect(r).toMatchObject({ code: 0, stdout: "hello-from-batch\n" });
    expect(r.stderr).toMatch(new RegExp(`^pod ${finishedPod.replace(/\./g, "\\.")} finished: task main exited 0 \\(its logs are kept until \\S+Z\\)\\n$`));
    expect(w.run(["logs", id])).toMatchObject({ code: 0, stdout: "hello-from-batch\n" }); // the job id names its only pod
  });

  test("a batch pod that finished while its job runs on gives its container back at once; galaxy pods and galaxy logs still show it", async () => {
    const id = w.run(["submit", "-f", jobFile("early", `name: early
type: batch
deploy: {replica: 2, step: 2, pools: [default], stop_timeout: 1s}
pod:
  workspace: {size: 16M}
  tasks: [{name: main, cpu: {millicores: 100}, memory: {size: 32M}, start: 'echo "out of $GALAXY_POD_ID"; case "$GALAXY_POD_ID" in *.0) exit 0;; esac; exec sleep 600'}]
`)]).stdout.trim();
    const early = `${id}.0`;
    await waitFor("the early pod finished", () => pods(id).find((p) => p.id === early)?.state === "finished", 60_000);
    // its container (worker, init, wrappers) is destroyed while the other pod still runs
    await waitFor("the early pod's processes gone", () => processesMentioning(`GALAXY_POD_ID=${early}`).length === 0, 30_000);
    expect(processesMentioning(`GALAXY_POD_ID=${id}.1`).length).toBeGreaterThan(0);
    expect(w.json<{ id: string; state: string }[]>(["jobs"]).find((j) => j.id === id)?.state).toBe("running");
    expect(pods(id).map((p) => [p.id, p.state])).toEqual([[early, "finished"], [`${id}.1`, "running"]]);
    const r = w.run(["logs", early]);
    expect(r).toMatchObject({ code: 0, stdout: `out of ${early}\n` });
    expect(w.run(["remove", id]).code).toBe(0);
  });

  test("a failed batch pod shows its output and its exit status", async () => {
    const id = w.run(["submit", "-f", jobFile("bad", `name: bad
type: batch
deploy: {replica: 1, pools: [default], stop_timeout: 1s, restart: {attempts: 0, delay: 200ms, max_delay: 1s}}
pod:
  workspace: {size: 16M}
  tasks: [{name: main, cpu: {millicores: 100}, memory: {size: 32M}, start: "echo about-to-fail; exit 3"}]
`)]).stdout.trim();
    await waitFor("the pod failed", () => {
      const p = pods(id)[0];
      return !p || p.state === "failed" || (p.state === "pending" && !p.agent);
    }, 60_000);
    const r = await waitFor("galaxy logs to show how it failed", () => {
      const r = w.run(["logs", `${id}.0`]);
      return r.code === 0 && r.stderr.includes("exited 3") ? r : null;
    }, 30_000);
    expect(r.stdout).toBe("about-to-fail\n");
    expect(r.stderr).toMatch(new RegExp(`^pod ${id.replace(/\./g, "\\.")}\\.0 failed: task main exited 3`));
    w.run(["remove", id]);
  });

  test("after the gc delay, galaxy logs says the logs were collected (and how the pod had ended)", async () => {
    expect(finishedPod).not.toBe("");
    const r = await waitFor("the kept workspace collected", () => {
      const r = w.run(["logs", finishedPod]);
      return r.code !== 0 ? r : null;
    }, 120_000, 1000);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      new RegExp(`^Error: the logs of pod ${finishedPod.replace(/\./g, "\\.")} were collected at \\S+Z, --gc-delay after it ended \\(pod \\S+ finished: task main exited 0\\)\\n$`),
    );
    expect(r.code).toBe(1);
  });

  test("galaxy up killed with SIGKILL: the roles it left still hold DIR and a new galaxy up refuses, naming ResMan's pid; once they are gone, its stale lock does not block", async () => {
    const resman = JSON.parse(readFileSync(join(dir, "cluster", "resman.leader"), "utf8")).pid as number;
    await stopChild(up, "SIGKILL", 1000);
    const left = processesMentioning(dir);
    expect(left).toContain(resman);
    const ports = async () => ["--agents", "2", "--port", String(await freePortBase(20)), "--ports-from", String(await freeAgentPorts(2))];
    const r = w.run(["up", "--dir", dir, ...(await ports())]);
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toBe(`Error: ${dir} is in use by a ResMan (pid ${resman}) that an earlier galaxy up left running; stop it first or give another --dir\n`);
    for (const pid of left) process.kill(pid, "SIGTERM"); // the roles this test started through the killed galaxy up
    await waitFor("the left roles gone", () => left.every((pid) => !alive(pid)), 30_000);
    up = w.start("up-again", ["up", "--dir", dir, ...(await ports())]); // stopped by afterAll: that cleans the host up
    await waitFor("galaxy up to start again on the same --dir", () => w.log("up-again").includes("Galaxy is up"), 60_000);
  });
});
