// The per-host service layer end to end (issue 22; `galaxy agent --host-worker`, here GALAXY_HOST_WORKER=1 through
// `galaxy up`): one `galaxy appworker --host` per agent serves every container; no Bun process per container. Its
// kill -9 leaves the services answering on their ports with the same task pids and their pods healthy (the agent
// starts it again, it re-adopts them); kill -9 of the agent re-adopts every container and leaves the host worker
// alone; kill -9 of both at once brings both back with every task re-adopted; an exit code and an OOM kill still reach `galaxy pods`; stopping `galaxy up` leaves nothing behind.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freeAgentPorts, freePortBase, httpGet, memoryCgroupOf, processesMentioning, requireBinary, ROOT, stopChild, waitFor, World } from "./harness.ts";

const isRoot = process.getuid?.() === 0;
const V1 = "/sys/fs/cgroup";
const hasV1 = isRoot && existsSync(`${V1}/memory/cgroup.procs`) && !!Bun.which("nsenter") && !!Bun.which("unshare");
const job = (name: string) => join(ROOT, "testdata", "jobs", name);

interface PodView {
  id: string;
  state: string;
  ports: { name: string; port: number }[];
  tasks: { name: string; pid: number; state: string; message: string; exitCode: number; healthy: boolean }[];
}

describe.skipIf(!hasV1)("the host worker: one service layer process per agent", () => {
  const w = new World();
  delete w.env.GALAXY_NAMESPACES; // the default: mount, uts and pid
  w.env.GALAXY_HOST_WORKER = "1";
  let up: ChildProcess | null = null;
  let base = 0;
  const jobs: Record<string, string> = {};
  const pods = (id: string): PodView[] => w.json(["pods", "-j", id]);
  const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  const workers = () => processesMentioning(w.dir).filter((pid) => {
    try {
      return cmdline(pid).includes("appworker");
    } catch {
      return false;
    }
  });
  const hostWorkers = () => workers().filter((pid) => cmdline(pid).includes("--host"));
  const agentLog = () => readFileSync(join(w.dir, "g", "logs", "agent-0.log"), "utf8");
  const allRunning = (id: string, n: number) => waitFor(`${n} healthy pods of ${id}`, () => {
    const ps = pods(id);
    return ps.length === n && ps.every((p) => p.state === "running" && p.tasks.every((t) => t.healthy)) ? ps : null;
  }, 60_000);
  const answers = async (ps: PodView[]) => Promise.all(ps.map((p) => httpGet(p.ports.find((x) => x.name === "http")!.port)));

  beforeAll(async () => {
    requireBinary();
    base = await freePortBase(20);
    const portsFrom = await freeAgentPorts();
    up = w.start("up", ["up", "--dir", join(w.dir, "g"), "--agents", "1", "--cpu", "2", "--memory", "2G", "--port", String(base), "--ports-from", String(portsFrom), "--quiet"]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 60_000);
    writeFileSync(join(w.dir, "exit3.yaml"), [
      "name: exit3", "type: service", "deploy: {replica: 1, pools: [default], restart: {attempts: 100, delay: 30s, max_delay: 30s}}",
      "pod:", "  tasks:", "    - name: work", "      cpu: {millicores: 50}", "      memory: {size: 32M}", `      start: "exit 3"`, "",
    ].join("\n"));
    for (const [name, file] of [["hello", job("hello.yaml")], ["oom", job("agent-oom.yaml")], ["exit3", join(w.dir, "exit3.yaml")]] as const) {
      const r = w.run(["submit", "-f", file]);
      expect(r).toMatchObject({ code: 0 });
      jobs[name] = r.stdout.trim();
    }
  }, 90_000);

  afterAll(async () => {
    if (up) await stopChild(up, "SIGINT", 30_000);
    await w.cleanup();
  });

  test("services answer on their ports, served by one host worker: no worker process per container", async () => {
    const ps = await allRunning(jobs.hello!, 3);
    expect((await answers(ps)).sort()).toEqual(ps.map((p) => `hello from ${p.id}\n`).sort());
    expect(hostWorkers()).toHaveLength(1);
    expect(workers()).toEqual(hostWorkers()); // no `galaxy appworker` per container
    for (const p of ps) expect(memoryCgroupOf(p.tasks[0]!.pid)).toBe(`/galaxy/127.0.0.1_${base + 10}/${p.id}`); // the pid shown is the task's
    expect(agentLog()).toContain("started the host worker");
  }, 90_000);

  test("a task's exit code and an OOM kill reach galaxy pods", async () => {
    const task = await waitFor("the task's exit code in galaxy pods", () => pods(jobs.exit3!).flatMap((p) => p.tasks).find((t) => t.message === "exited 3"), 60_000);
    expect(task.exitCode).toBe(3);
    expect(w.run(["pods", "-j", jobs.exit3!]).stdout).toContain("exited 3");
    await waitFor("the OOM kill in galaxy pods", () => pods(jobs.oom!).flatMap((p) => p.tasks).find((t) => t.message.includes("killed: out of memory (limit 256M)")), 60_000);
    expect(w.run(["pods", "-j", jobs.oom!]).stdout).toContain("out of memory (limit 256M)");
  }, 130_000);

  test("kill -9 of the host worker: the agent starts it again; services keep answering with the same pids, pods healthy", async () => {
    const before = await allRunning(jobs.hello!, 3);
    const pids = before.map((p) => p.tasks[0]!.pid);
    const [old] = hostWorkers();
    process.kill(old!, "SIGKILL");
    await waitFor("the services to answer while it is down", async () => (await answers(before)).length === 3, 10_000);
    const [again] = await waitFor("a new host worker", () => (hostWorkers().length === 1 && hostWorkers()[0] !== old ? hostWorkers() : null), 30_000);
    expect(again).not.toBe(old);
    expect(agentLog()).toContain("started the host worker again");
    const after = await waitFor("the pods reported by the new worker", async () => {
      const ps = await allRunning(jobs.hello!, 3);
      return ps.every((p, i) => p.tasks[0]!.pid === pids[i]) ? ps : null;
    }, 30_000);
    expect(after.map((p) => p.tasks[0]!.pid)).toEqual(pids); // re-adopted, not started again
    for (const p of after) {
      await waitFor(`the new worker to re-adopt ${p.id}`, () => w.run(["logs", p.id, "--task", "worker"]).stdout.includes("re-adopted 1 of 1 running tasks"), 20_000);
    }
    expect((await answers(after)).sort()).toEqual(after.map((p) => `hello from ${p.id}\n`).sort());
  }, 90_000);

  test("kill -9 of the agent, then restart: every container re-adopted, the host worker left alone", async () => {
    const before = await allRunning(jobs.hello!, 3);
    const [worker] = hostWorkers();
    const agentPid = processesMentioning(`127.0.0.1:${base + 10}`).find((pid) => cmdline(pid).includes("agent"));
    expect(agentPid).toBeGreaterThan(0);
    const adoptedBefore = (agentLog().match(/re-adopted/g) ?? []).length;
    process.kill(agentPid!, "SIGKILL");
    await waitFor("the agent to re-adopt the services", () => (agentLog().match(/re-adopted/g) ?? []).length >= adoptedBefore + 3, 30_000);
    const after = await allRunning(jobs.hello!, 3);
    expect(after.map((p) => p.tasks[0]!.pid)).toEqual(before.map((p) => p.tasks[0]!.pid));
    expect(hostWorkers()).toEqual([worker!]);
    expect((await answers(after)).sort()).toEqual(after.map((p) => `hello from ${p.id}\n`).sort());
  }, 90_000);

  test("kill -9 of the agent and the host worker together: both come back, every task re-adopted with its pid", async () => {
    const before = await allRunning(jobs.hello!, 3);
    const [worker] = hostWorkers();
    const agentPid = processesMentioning(`127.0.0.1:${base + 10}`).find((pid) => cmdline(pid).includes("agent"));
    process.kill(agentPid!, "SIGKILL");
    process.kill(worker!, "SIGKILL");
    const [again] = await waitFor("a new host worker", () => (hostWorkers().length === 1 && hostWorkers()[0] !== worker ? hostWorkers() : null), 60_000);
    expect(again).not.toBe(worker);
    for (const p of before) {
      await waitFor(`${p.id} re-adopted again`, () => (w.run(["logs", p.id, "--task", "worker"]).stdout.match(/re-adopted 1 of 1 running tasks/g) ?? []).length >= 2, 30_000);
    }
    const after = await allRunning(jobs.hello!, 3);
    expect(after.map((p) => p.tasks[0]!.pid)).toEqual(before.map((p) => p.tasks[0]!.pid));
    expect((await answers(after)).sort()).toEqual(after.map((p) => `hello from ${p.id}\n`).sort());
  }, 120_000);

  test("stopping galaxy up leaves no process or cgroup behind", async () => {
    expect(await stopChild(up!, "SIGINT", 30_000)).toBe(0);
    up = null;
    expect(processesMentioning(w.dir)).toEqual([]);
    expect(existsSync(`${V1}/memory/galaxy/127.0.0.1_${base + 10}`)).toBe(false);
  }, 60_000);
});
