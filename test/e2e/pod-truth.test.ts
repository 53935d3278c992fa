// One pod truth, end to end, with the compiled executable on one `galaxy up --agents 2`: what `galaxy pods`,
// `galaxy jobs`, `galaxy events` and the naming file say is what runs. A container that cannot be created (its fixed
// port taken) says why within seconds and is moved; a container killed whole is started again and says why; one the
// agent kills (workspace over its size) is failed and moved at once; a silent worker's pod is not called running;
// a failed batch job ends `failed`; a service short of its replica is `degraded`.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { basename, dirname, join } from "node:path";
import { alive, freeAgentPorts, freePortBase, memoryCgroupOf, processesMentioning, requireBinary, stopChild, waitFor, workerOf, World } from "./harness.ts";

setDefaultTimeout(180_000);

interface Task { name: string; pid: number; state: string; healthy: boolean }
interface Pod { id: string; agent: string; state: string; healthy: boolean; lastError: string; restarts: number; tasks: Task[] }
interface Job { id: string; state: string; status: string; healthy: number; replica: number; failed: number; finished: number }
interface Event { podId: string; kind: string; message: string }

const isRoot = process.getuid?.() === 0;
const FREEZER = "/sys/fs/cgroup/freezer";

const HTTP_TASK = (port: string) => `
    - name: web
      cpu: {millicores: 100}
      memory: {size: 64M}
      ports: [{name: http, port: ${port}}]
      start: exec node -e "require('http').createServer((q,s)=>s.end('ok')).listen(+process.env.GALAXY_PORT_HTTP)"
      health: {port: http}
      services: [{name: web, port: http}]`;

describe("pod truth: what Galaxy says is what runs", () => {
  const w = new World();
  let up: ChildProcess;
  const file = (name: string, text: string) => {
    const f = join(w.dir, `${name}.yaml`);
    writeFileSync(f, text);
    return f;
  };
  const submit = (name: string, text: string) => {
    const r = w.run(["submit", "-f", file(name, text)]);
    expect(r.code).toBe(0);
    return r.stdout.trim();
  };
  const job = (id: string) => (w.json(["jobs"]) as Job[]).find((j) => j.id === id);
  const pods = (id: string) => w.json(["pods", "-j", id]) as Pod[];
  const events = (id: string) => w.json(["events", id]) as Event[];
  const jobsLine = (id: string) => w.run(["jobs"]).stdout.split("\n").find((l) => l.startsWith(id)) ?? "";

  beforeAll(async () => {
    requireBinary();
    const base = await freePortBase(20);
    up = w.start("up", ["up", "--dir", join(w.dir, "g"), "--agents", "2", "--port", String(base), "--ports-from", String(await freeAgentPorts(2))]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 90_000);
  });

  afterAll(async () => {
    if (up) await stopChild(up, "SIGINT", 30_000);
    await w.cleanup();
  });

  test("a pod whose fixed port is taken says why within seconds and is moved to the other agent within its deploy_timeout", async () => {
    const port = await freePortBase(1);
    const listener: Server = createServer();
    await new Promise<void>((r) => listener.listen(port, "0.0.0.0", () => r()));
    try {
      const id = submit("fixed", `name: fixed
type: service
deploy: {replica: 1, pools: [default], deploy_timeout: 10s}
pod:
  tasks:${HTTP_TASK(String(port))}
`);
      const reason = `port ${port} (http) is already in use on this host`;
      // the reason, in the pods table (as wide as it fits) and in full in --json, within seconds (the agent refuses
      // the container at creation)
      await waitFor("the reason in galaxy pods", () => w.run(["pods", "-j", id]).stdout.includes(`placement failed: port ${port} (http)`), 15_000, 100);
      await waitFor("the whole reason in galaxy pods --json", () => pods(id)[0]?.lastError.includes(reason), 15_000, 100);
      // moved off the first agent (its reason in events), then tried on the other one, within deploy_timeout
      const placed = await waitFor("placed on both agents", () => {
        const agents = new Set(events(id).filter((e) => e.kind === "placed").map((e) => e.message));
        return agents.size >= 2 ? agents : null;
      }, 10_000);
      expect(placed.size).toBe(2);
      const evs = events(id);
      expect(evs.some((e) => e.kind === "failed" && e.message.includes(`container failed on`) && e.message.includes(reason))).toBe(true);
      expect(evs.some((e) => e.kind === "failover" && e.message.startsWith("moved off ") && e.message.includes(reason))).toBe(true);
      // both agents refused it: the failure policy has nowhere left; the job says so, and nothing says running
      await waitFor("the job failed", () => job(id)?.status === "failed", 15_000);
      expect(events(id).some((e) => e.kind === "failed" && e.message.startsWith("the failure policy gave up: ") && e.message.includes(reason))).toBe(true);
      expect(jobsLine(id)).toMatch(/\sfailed\s/);
      const pod = pods(id)[0]!;
      expect(pod.state).not.toBe("running");
      expect(pod.lastError).toContain(reason);
      const naming = join(w.dir, "g", "cluster", "naming", `${id}.json`);
      await waitFor("the naming file", () => existsSync(naming));
      expect(JSON.parse(readFileSync(naming, "utf8")).services.every((s: { status: string }) => s.status === "down")).toBe(true);
      expect(w.run(["remove", id]).code).toBe(0);
    } finally {
      listener.close();
    }
  });

  test.skipIf(!isRoot || !existsSync(FREEZER))("a container that never starts (frozen) is moved deploy_timeout after its placement", async () => {
    const id = submit("frozen", `name: frozen
type: service
deploy: {replica: 0, pools: [default], deploy_timeout: 10s}
pod:
  tasks:${HTTP_TASK("dynamic")}
`);
    // Its cgroup, made frozen on both agents before the agents make it: whatever joins it stops (the worker never
    // reports). The agent adopts a cgroup that exists.
    const podId = `${id}.0`;
    const agents = (w.json(["agents"]) as { endpoint: string }[]).map((a) => a.endpoint);
    // both of the container's cgroups: its tasks' and its worker's (the service layer sits beside the tasks)
    const key = (agent: string) => agent.replace(/[^A-Za-z0-9.-]/g, "_");
    const dirsOf = (agent: string) => [join(FREEZER, "galaxy", key(agent), podId), join(FREEZER, "galaxy", key(agent), "_workers", podId)];
    const setState = (agent: string, state: string) => {
      for (const d of dirsOf(agent)) {
        try {
          writeFileSync(join(d, "freezer.state"), state);
        } catch {
          /* removed with its container */
        }
      }
    };
    for (const a of agents) {
      for (const d of dirsOf(a)) mkdirSync(d, { recursive: true });
      setState(a, "FROZEN");
    }
    try {
      expect(w.run(["scale", id, "1"]).code).toBe(0);
      const first = await waitFor("placed", () => pods(id)[0]?.agent, 30_000);
      expect(pods(id)[0]!.state).toBe("deploying");
      const moved = await waitFor("moved off, deploy_timeout after its placement", () =>
        events(id).find((e) => e.kind === "failover" && e.message.startsWith(`moved off ${first}: not started `)), 30_000);
      expect(moved.message).toMatch(/after its placement \(deploy_timeout 10s\)/);
      // thawed on the other agent: there it starts and runs
      const other = agents.find((a) => a !== first)!;
      setState(other, "THAWED");
      await waitFor("running on the other agent", () => {
        const p = pods(id)[0];
        return p?.agent === other && p.healthy;
      }, 60_000);
      expect(w.run(["remove", id]).code).toBe(0);
    } finally {
      for (const a of agents) setState(a, "THAWED");
    }
  });

  test("a failed batch job (exit 3, restart attempts 1) ends and says failed", async () => {
    const id = submit("bfail", `name: bfail
type: batch
deploy: {replica: 1, pools: [default], restart: {attempts: 1, delay: 1s}}
pod:
  tasks: [{name: t, cpu: {millicores: 100}, memory: {size: 64M}, start: "exit 3"}]
`);
    const j = await waitFor("the batch job to end", () => {
      const x = job(id);
      return x?.state === "finished" ? x : null;
    }, 60_000);
    expect(j).toMatchObject({ status: "failed", failed: 1, finished: 0 });
    expect(jobsLine(id)).toMatch(/\sfailed \(0 ok, 1 failed\)\s/);
    expect(events(id).some((e) => e.kind === "failed" && e.message.includes("exited 3"))).toBe(true);
    expect(events(id).some((e) => e.message.startsWith("the failure policy gave up: "))).toBe(true);
  });

  test("a service short of its replica is degraded, and running once whole", async () => {
    const id = submit("short", `name: short
type: service
deploy: {replica: 3, max_per_host: 1, step: 3, pools: [default]}
pod:
  tasks:${HTTP_TASK("dynamic")}
`);
    const j = await waitFor("2 of 3 healthy", () => {
      const x = job(id);
      return x?.healthy === 2 && x.status === "degraded" ? x : null;
    }, 60_000);
    expect(j.replica).toBe(3);
    expect(jobsLine(id)).toMatch(/\sdegraded 2\/3\s/);
    expect(w.run(["job", id]).stdout).toMatch(/status\s+degraded\s+\(running\)/);
    expect(w.run(["scale", id, "2"]).code).toBe(0);
    await waitFor("running once whole", () => job(id)?.status === "running", 30_000);
    expect(jobsLine(id)).toMatch(/\srunning\s/);
    expect(w.run(["remove", id]).code).toBe(0);
  });

  test("a silent worker's pod is not called running; it is again once it reports", async () => {
    const id = submit("quiet", `name: quiet
type: service
deploy: {replica: 1, pools: [default]}
pod:
  tasks:${HTTP_TASK("dynamic")}
`);
    await waitFor("running", () => job(id)?.status === "running", 60_000);
    const pod = pods(id)[0]!;
    const worker = workerOf(pod.id);
    expect(worker).toBeGreaterThan(0);
    process.kill(worker, "SIGSTOP");
    try {
      const p = await waitFor("the pod not running", () => {
        const x = pods(id)[0];
        return x && x.state !== "running" ? x : null;
      }, 30_000);
      expect(p.state).toBe("lost");
      expect(p.healthy).toBe(false);
      expect(p.lastError).toMatch(/^no report from its worker for \d+s/);
      expect(w.run(["pods", "-j", id]).stdout).toContain("no report from its worker");
      expect(job(id)).toMatchObject({ status: "degraded", healthy: 0 });
      const naming = join(w.dir, "g", "cluster", "naming", `${id}.json`);
      await waitFor("the naming file to say down", () => JSON.parse(readFileSync(naming, "utf8")).services[0].status === "down", 10_000);
    } finally {
      process.kill(worker, "SIGCONT");
    }
    await waitFor("running again", () => pods(id)[0]?.healthy === true && job(id)?.status === "running", 30_000);
    expect(w.run(["remove", id]).code).toBe(0);
  });

  test.skipIf(!isRoot)("a container killed whole (kill -9 of every process) is started again and says why", async () => {
    const id = submit("killed", `name: killed
type: service
deploy: {replica: 1, pools: [default]}
pod:
  tasks:${HTTP_TASK("dynamic")}
`);
    await waitFor("running", () => job(id)?.status === "running", 60_000);
    const before = pods(id)[0]!;
    const taskPid = before.tasks[0]!.pid;
    const cgroup = memoryCgroupOf(taskPid);
    expect(cgroup).toContain(before.id);
    // the whole container: its tasks' cgroup and its worker's beside it (galaxy/<agent>/_workers/<id>)
    const workers = join(dirname(cgroup), "_workers", basename(cgroup));
    const procs = [cgroup, workers].flatMap((g) => readFileSync(join("/sys/fs/cgroup/memory", g, "cgroup.procs"), "utf8").trim().split("\n").filter(Boolean).map(Number));
    for (const pid of procs) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone already (a health check's shell) */
      }
    }
    await waitFor("its task gone", () => !alive(taskPid), 10_000);
    const after = await waitFor("its task running again", () => {
      const p = pods(id)[0];
      return p?.healthy && p.tasks[0]!.pid !== taskPid ? p : null;
    }, 60_000);
    expect(after.restarts).toBeGreaterThan(0);
    const evs = events(id);
    expect(evs.some((e) => e.kind === "agent" && /worker killed by SIGKILL|its init was killed by SIGKILL/.test(e.message))).toBe(true);
    expect(evs.some((e) => e.kind === "restart")).toBe(true);
    expect(w.run(["remove", id]).code).toBe(0);
  });

  test.skipIf(!isRoot)("a container the agent kills (workspace over its size) is failed with the reason at once and moved", async () => {
    const id = submit("disk", `name: disk
type: service
deploy: {replica: 1, pools: [default]}
pod:
  workspace: {size: 1M}
  tasks: [{name: fill, cpu: {millicores: 100}, memory: {size: 64M}, start: "head -c 5000000 /dev/zero > big; exec sleep 1000"}]
`);
    await waitFor("running", () => job(id)?.status === "running", 60_000);
    const first = pods(id)[0]!.agent;
    await waitFor("the agent's warning in events", () => events(id).some((e) => e.kind === "agent" && e.message.includes("over its disk size")), 60_000);
    const killed = await waitFor("the kill", () => events(id).find((e) => e.kind === "failed" && e.message.includes("killed: workspace uses")), 90_000);
    expect(killed.message).toContain(`container failed on ${first}`);
    // nothing says it runs on the agent that killed it: failed there, or already moved
    const p = await waitFor("the pod off the killing agent", () => {
      const x = pods(id)[0];
      return x && (x.agent !== first || x.state === "failed") ? x : null;
    }, 10_000);
    if (p.agent === first) expect(p.lastError).toContain("killed: workspace uses");
    await waitFor("moved to the other agent", () => events(id).some((e) => e.kind === "failover" && e.message.startsWith(`moved off ${first}`)), 10_000);
    expect(w.run(["remove", id]).code).toBe(0);
  });
});
