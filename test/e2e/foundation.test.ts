// The foundation end to end, with the compiled executable: `galaxy up --agents 2`, a 3-replica HTTP service on
// dynamic ports, real cgroups, a task killed and restarted, `galaxy remove`, and a clean stop.
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { freeAgentPorts, alive, freePortBase, GALAXY, httpGet, memoryCgroupOf, processesMentioning, requireBinary, ROOT, stopChild, waitFor, World } from "./harness.ts";

setDefaultTimeout(120_000); // e2e: every wait below has its own deadline; bun's 5 s default would cut them short

const hasMemoryCgroupV1 = existsSync("/sys/fs/cgroup/memory/cgroup.procs") && process.getuid?.() === 0;

describe("the executable", () => {
  test("runs from / with no node_modules or package.json beside it", () => {
    requireBinary();
    const dir = mkdtempSync(join(tmpdir(), "galaxy-bin-"));
    try {
      copyFileSync(GALAXY, join(dir, "galaxy"));
      chmodSync(join(dir, "galaxy"), 0o755);
      const r = spawnSync(join(dir, "galaxy"), ["version"], { cwd: "/", encoding: "utf8" });
      expect(r.stdout).toBe("galaxy 0.1.0\n");
      const help = spawnSync(join(dir, "galaxy"), ["--help"], { cwd: "/", encoding: "utf8" });
      for (const c of ["resman", "agent", "appmaster", "up", "submit", "jobs", "pods", "remove", "status"]) expect(help.stdout).toContain(c);
      // topics say what they are for (oclif.topics in package.json, compiled in)
      expect(help.stdout).toMatch(/pool +Add and remove pools of agents/);
      expect(help.stdout).toMatch(/safemode +Enter or leave ResMan's safe mode/);
      expect(spawnSync(join(dir, "galaxy"), ["label", "--help"], { cwd: "/", encoding: "utf8" }).stdout).toContain("Add and remove agent labels");
      // a bad flag value is one sentence and exit 1, before anything is created
      const bad = spawnSync(join(dir, "galaxy"), ["resman", "--data-dir", join(dir, "rm"), "--cluster-dir", join(dir, "c"), "--safe-mode-fraction", "2"], { cwd: "/", encoding: "utf8" });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toBe('Error: resman: --safe-mode-fraction "2": want a number from 0 to 1, e.g. 0.8\n');
      expect(existsSync(join(dir, "rm"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("foundation: galaxy up, a job end to end", () => {
  const w = new World();
  let up: ChildProcess;
  let jobId = "";
  let base = 0;

  beforeAll(async () => {
    requireBinary();
    base = await freePortBase(20);
    const portsFrom = await freeAgentPorts();
    up = w.start("up", ["up", "--dir", join(w.dir, "g"), "--agents", "2", "--port", String(base), "--ports-from", String(portsFrom), "--quiet"]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 60_000);
  });

  afterAll(async () => {
    if (up) await stopChild(up, "SIGINT", 30_000);
    await w.cleanup();
  });

  test("status shows both masters and 2 alive agents", () => {
    const s = w.json(["status"]);
    expect(s.agentsAlive).toBe(2);
    expect(s.masters.map((m: { role: string }) => m.role).sort()).toEqual(["appmaster", "resman"]);
  });

  test("submit a 3-replica HTTP service: every pod runs and answers on its port", async () => {
    const r = w.run(["submit", "-f", join(ROOT, "testdata/jobs/hello.yaml")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    jobId = r.stdout.trim();
    expect(jobId).toMatch(/^hello-\d{8}-\d{4}-[0-9a-f]{4}$/);
    const pods = await waitFor("3 pods running", () => {
      const ps = w.json(["pods", "-j", jobId]);
      return ps.length === 3 && ps.every((p: { state: string }) => p.state === "running") ? ps : null;
    }, 60_000);
    for (const p of pods) {
      const port = p.ports.find((x: { name: string }) => x.name === "http").port;
      expect(await httpGet(port)).toBe(`hello from ${p.id}\n`);
    }
    const jobs = w.json(["jobs"]);
    expect(jobs.find((j: { id: string }) => j.id === jobId).running).toBe(3);
    expect(w.run(["jobs"]).stdout).toContain(jobId);
  });

  test.skipIf(!hasMemoryCgroupV1)("each task process sits in its container's cgroup with the requested memory limit", () => {
    const pods = w.json(["pods", "-j", jobId]);
    for (const p of pods) {
      const pid = p.tasks[0].pid;
      const cg = memoryCgroupOf(pid);
      expect(cg).toContain(`/galaxy/`);
      expect(cg.endsWith(`/${p.id}`)).toBe(true);
      const limit = Number(readFileSync(`/sys/fs/cgroup/memory${cg}/memory.limit_in_bytes`, "utf8"));
      expect(limit).toBe(64 * 1024 * 1024);
    }
  });

  test("a killed task is restarted by its worker and the pod returns to running", async () => {
    const before = w.json(["pods", "-j", jobId])[0];
    process.kill(before.tasks[0].pid, "SIGKILL");
    const after = await waitFor("the pod to run again with a new pid", () => {
      const p = w.json(["pods", "-j", jobId]).find((x: { id: string }) => x.id === before.id);
      return p.state === "running" && p.tasks[0].pid !== before.tasks[0].pid && p.restarts >= 1 ? p : null;
    }, 30_000);
    expect(after.tasks[0].message).toContain("killed by SIGKILL");
    const port = after.ports[0].port;
    expect(await waitFor("the restarted task to answer", () => httpGet(port), 10_000)).toBe(`hello from ${before.id}\n`);
  });

  test("galaxy up restarts a killed agent and ResMan; the agent re-adopts its containers untouched", async () => {
    const pods = w.json(["pods", "-j", jobId]);
    const pids = pods.map((p: { tasks: { pid: number }[] }) => p.tasks[0]!.pid);
    const agentPid = Number(processesMentioning(`127.0.0.1:${base + 10}`).find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("\0agent\0")));
    const resmanPid = JSON.parse(readFileSync(join(w.dir, "g", "cluster", "resman.leader"), "utf8")).pid;
    expect(agentPid).toBeGreaterThan(0);
    process.kill(agentPid, "SIGKILL");
    process.kill(resmanPid, "SIGKILL");
    await waitFor("a new ResMan leader", () => JSON.parse(readFileSync(join(w.dir, "g", "cluster", "resman.leader"), "utf8")).pid !== resmanPid, 20_000);
    await waitFor("both agents alive again", () => {
      const s = w.json(["status"]);
      return s.agentsAlive === 2 && !s.recovering && s.containers === 3;
    }, 30_000);
    const after = w.json(["pods", "-j", jobId]);
    expect(after.map((p: { tasks: { pid: number }[] }) => p.tasks[0]!.pid)).toEqual(pids);
    expect(after.every((p: { state: string }) => p.state === "running")).toBe(true);
  });

  test("bad input gets one clear sentence and a non-zero exit, and changes nothing", () => {
    const before = w.json(["jobs"]).length;
    const bad = w.run(["submit", "-f", join(ROOT, "testdata/jobs/bad/many.yaml")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("many.yaml:3 type: 'servce' is not a job type; did you mean service?");
    expect(w.run(["submit", "-f", join(w.dir, "missing.yaml")])).toMatchObject({ code: 2, stderr: expect.stringContaining("cannot read") });
    expect(w.run(["job", "no-such-job"])).toMatchObject({ code: 1, stderr: 'Error: no job "no-such-job"\n' });
    expect(w.run(["jobs", "--token", "wrong"])).toMatchObject({ code: 1, stderr: expect.stringContaining("missing or invalid credentials") });
    const down = w.run(["jobs", "--appmaster", "127.0.0.1:1"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe("Error: no AppMaster at 127.0.0.1:1 (connection refused); is `galaxy appmaster` running? see `galaxy status`\n");
    expect(w.json(["jobs"]).length).toBe(before);
  });

  test("remove: within a few seconds no process, cgroup or workspace of the job remains", async () => {
    const pods = w.json(["pods", "-j", jobId]);
    const pids = pods.map((p: { tasks: { pid: number }[] }) => p.tasks[0]!.pid);
    const cgroups = hasMemoryCgroupV1 ? pids.map((pid: number) => `/sys/fs/cgroup/memory${memoryCgroupOf(pid)}`) : [];
    const r = w.run(["remove", jobId.slice(0, 12)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("removing");
    await waitFor("every task process to exit", () => pids.every((pid: number) => !alive(pid)), 20_000);
    await waitFor("every cgroup to be removed", () => cgroups.every((c: string) => !existsSync(c)), 20_000);
    await waitFor("no process of the job left", () => processesMentioning(`GALAXY_JOB_ID=${jobId}`).length === 0, 20_000);
    await waitFor("workspaces removed", () => [0, 1].every((i) => pods.every((p: { id: string }) => !existsSync(join(w.dir, "g", `agent-${i}`, "containers", p.id)))), 20_000);
    await waitFor("the job to leave the list", () => !w.run(["jobs", "--json"]).stdout.includes(jobId), 20_000);
  });

  test("stopping galaxy up leaves nothing running", async () => {
    // a second job that is still running when the cluster stops
    const id = w.run(["submit", "-f", join(ROOT, "testdata/jobs/hello.yaml")]).stdout.trim();
    await waitFor("pods running", () => w.json(["pods", "-j", id]).filter((p: { state: string }) => p.state === "running").length === 3, 60_000);
    const code = await stopChild(up, "SIGINT", 30_000);
    expect(code).toBe(0);
    expect(processesMentioning(w.dir)).toEqual([]);
    if (hasMemoryCgroupV1) {
      const agentCgroups = ["memory", "cpu", "freezer"].flatMap((c) => [0, 1].map((i) => `/sys/fs/cgroup/${c}/galaxy/127.0.0.1_${base + 10 + i}`));
      for (const c of agentCgroups) expect(existsSync(c)).toBe(false);
    }
  });
});
