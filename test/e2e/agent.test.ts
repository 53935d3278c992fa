// The agent end to end, with the compiled executable and one `galaxy up` (one agent, the default namespaces: mount,
// uts, pid): a tmpfs volume of its size, a /proc with only the container's processes, `galaxy logs`, a cpu quota of 200
// millicores, an OOM kill told apart, a fixed port taken on the host, and kill -9 of the agent that leaves every
// container process running with the same pid. Stopping `galaxy up` leaves no process, cgroup or mount.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { freeAgentPorts, freePortBase, processesMentioning, requireBinary, ROOT, stopChild, waitFor, World } from "./harness.ts";

const isRoot = process.getuid?.() === 0;
const V1 = "/sys/fs/cgroup";
const hasV1 = isRoot && existsSync(`${V1}/memory/cgroup.procs`) && existsSync(`${V1}/cpuacct/cpuacct.usage`);
const job = (name: string) => join(ROOT, "testdata", "jobs", name);
const CACHE = "/galaxy-e2e-cache";

interface PodView {
  id: string;
  state: string;
  agent: string;
  lastError: string;
  usage: { millicores: number };
  tasks: { name: string; message: string; state: string }[];
}

describe.skipIf(!hasV1)("agent: isolation, volumes, ports, usage, restart", () => {
  const w = new World();
  delete w.env.GALAXY_NAMESPACES; // the default: mount, uts and pid
  let up: ChildProcess | null = null;
  let base = 0;
  let holder: Server | null = null;
  const jobs: Record<string, string> = {};
  const endpoint = () => `127.0.0.1:${base + 10}`;
  const key = () => `127.0.0.1_${base + 10}`;
  const cgroup = (controller: string, pod: string) => `${V1}/${controller}/galaxy/${key()}/${pod}`;
  const procsOf = (pod: string) => readFileSync(`${cgroup("memory", pod)}/cgroup.procs`, "utf8").split("\n").filter(Boolean).map(Number).sort();
  /** the processes of a pod's init, wrappers and worker: a sibling cgroup, outside the job's limits */
  const workerProcsOf = (pod: string) => procsOf(`_workers/${pod}`);
  const pods = (id: string): PodView[] => w.json(["pods", "-j", id]);
  const runningPod = (id: string) => waitFor(`a running pod of ${id}`, () => pods(id).find((p) => p.state === "running"), 60_000);

  /** Agent/ListContainers over HTTP with the admin's credentials (the test's view of the agent's reports). */
  async function agentReports(): Promise<{ containerId: string; state: string; message: string; pid: number }[]> {
    const cfg = JSON.parse(readFileSync(join(w.dir, ".galaxy", "config"), "utf8"));
    const r = await fetch(`http://${endpoint()}/rpc/Agent/ListContainers`, {
      method: "POST", body: "{}", headers: { "content-type": "application/json", "x-galaxy-user": cfg.user, "x-galaxy-token": cfg.token },
    });
    if (!r.ok) throw new Error(`ListContainers: ${r.status} ${await r.text()}`);
    return (await r.json()).containers ?? [];
  }

  beforeAll(async () => {
    requireBinary();
    holder = await holdPort(29999);
    base = await freePortBase(20);
    const portsFrom = await freeAgentPorts();
    up = w.start("up", ["up", "--dir", join(w.dir, "g"), "--agents", "1", "--cpu", "2", "--memory", "2G", "--port", String(base), "--ports-from", String(portsFrom), "--quiet"]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 60_000);
    for (const name of ["agent-probe", "agent-cpu", "agent-oom", "agent-port"]) {
      const r = w.run(["submit", "-f", job(`${name}.yaml`)]);
      expect(r).toMatchObject({ code: 0 });
      jobs[name] = r.stdout.trim();
    }
  }, 90_000);

  afterAll(async () => {
    if (up) await stopChild(up, "SIGINT", 30_000);
    holder?.close();
    await w.cleanup();
  });

  test("a tmpfs volume is mounted with its size; /proc shows only the container's processes; galaxy logs prints it", async () => {
    const pod = await runningPod(jobs["agent-probe"]!);
    const out = await waitFor("the probe's output", () => {
      const r = w.run(["logs", pod.id]);
      return r.code === 0 && r.stdout.includes("neighbours:") ? r.stdout : null;
    }, 30_000);
    const line = (k: string) => out.split("\n").find((l) => l.startsWith(`${k}: `))!.slice(k.length + 2);
    expect(line("tmpfs")).toMatch(new RegExp(`^galaxy-volume\\s+16384\\s+\\d+\\s+\\d+\\s+\\d+% ${CACHE}$`));
    expect(line("volume")).toBe(CACHE);
    expect(line("neighbours").trim()).toBe(pod.id); // the other containers' workspaces are hidden
    const pids = line("pids").trim().split(" ").map(Number);
    expect(pids).toContain(1);
    expect(pids.length).toBeLessThan(12); // init, the worker, the task's shell and its pipeline: no host process
    expect(line("init")).toContain("galaxy-init");
    expect(readFileSync(join(w.dir, "g", "logs", "agent-0.log"), "utf8")).toContain("; namespaces mount, uts, pid");
    // On the host the same container holds host pids (the task in the pod's cgroup, the rest in its worker's), and
    // its tmpfs is a real mount of 16M.
    expect(procsOf(pod.id).length).toBeGreaterThanOrEqual(1);
    expect(workerProcsOf(pod.id).length).toBeGreaterThanOrEqual(3);
    const mounts = readFileSync("/proc/self/mountinfo", "utf8");
    expect(mounts).toMatch(new RegExp(`${join(w.dir, "g", "agent-0", "volumes", pod.id)}/0 .* tmpfs galaxy-volume \\S*size=16384k`));
  }, 90_000);

  test("galaxy logs: --tail, --err, --task, -f, and a prefix of the pod id", async () => {
    const pod = await runningPod(jobs["agent-probe"]!);
    const prefix = pod.id.slice(0, pod.id.length - 4);
    expect(w.run(["logs", prefix]).stdout).toContain("neighbours:");
    const tail = w.run(["logs", pod.id, "--tail", "1"]);
    expect(tail.stdout.trim().split("\n")).toHaveLength(1);
    expect(tail.stdout).toContain("neighbours:");
    expect(w.run(["logs", pod.id, "--err"]).stdout).toBe("to stderr\n");
    expect(w.run(["logs", pod.id, "--task", "worker"]).stdout).toContain(pod.id); // the worker's own log
    expect(w.run(["logs", `${jobs["agent-probe"]}.7`])).toMatchObject({ code: 1, stderr: expect.stringContaining("no pod") });
    const follow = w.start("follow", ["logs", pod.id, "-f"]);
    await waitFor("logs -f to print the output", () => w.log("follow").includes("neighbours:"), 20_000);
    await stopChild(follow, "SIGINT", 5_000);
  }, 60_000);

  test("a cpu-bound task with 200 millicores gets about 20% of a core", async () => {
    const pod = await runningPod(jobs["agent-cpu"]!);
    const usage = () => Number(readFileSync(`${cgroup("cpuacct", pod.id)}/cpuacct.usage`, "utf8"));
    await waitFor("the spin loop to start", () => usage() > 50_000_000, 20_000);
    const [u0, t0] = [usage(), performance.now()];
    await Bun.sleep(3000); // a measurement window, not a wait for a condition
    const share = (usage() - u0) / ((performance.now() - t0) * 1e6);
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.35);
    const reported = await waitFor("the agent to report its usage", () => {
      const m = pods(jobs["agent-cpu"]!).find((p) => p.id === pod.id)?.usage.millicores ?? 0;
      return m >= 100 && m <= 350 ? m : null;
    }, 30_000);
    expect(reported).toBeGreaterThanOrEqual(100);
  }, 60_000);

  test("a task allocating past its memory limit is OOM-killed and reported as such", async () => {
    const id = jobs["agent-oom"]!;
    const task = await waitFor("the OOM kill in galaxy pods", () => pods(id).flatMap((p) => p.tasks).find((t) => t.message.includes("out of memory")), 60_000);
    expect(task.message).toContain("killed: out of memory (limit 256M)");
    expect(w.run(["pods", "-j", id]).stdout).toContain("out of memory (limit 256M)");
    // The agent saw the cgroup's OOM counter move too, and says so in its report to ResMan.
    const report = await waitFor("the agent's OOM note", async () => (await agentReports()).find((r) => r.containerId.startsWith(id) && /OOM killer/.test(r.message)), 20_000);
    expect(report.message).toMatch(/^OOM killer: \d+ process\(es\) killed at the memory limit of 256M$/);
  }, 90_000);

  test("a fixed port already taken on the host gives a clear placement error, not a crash loop", async () => {
    const id = jobs["agent-port"]!;
    const reason = "placement failed: port 29999 (http) is already in use on this host";
    // The agent fails the container at creation, without a worker; AppMaster shows its reason and moves the pod off
    // (with one agent there is nowhere else: the pod waits on the job's blacklist, still saying why).
    type Ev = { podId: string; kind: string; message: string };
    const failed = await waitFor("the agent's refusal in galaxy events", () => (w.json(["events", id]) as Ev[]).find((e) => e.kind === "failed"), 30_000);
    expect(failed.message).toBe(`container failed on ${endpoint()}: ${reason}`);
    await waitFor("the reason on the pod", () => pods(id)[0]?.lastError.includes(reason), 20_000);
    const evs = w.json(["events", id]) as Ev[];
    expect(evs.filter((e) => e.kind === "start" || e.kind === "restart")).toEqual([]); // no task ever ran: no crash loop
  }, 60_000);

  test("kill -9 of the agent, then restart: every container process keeps its pid", async () => {
    const probe = await runningPod(jobs["agent-probe"]!);
    const spin = await runningPod(jobs["agent-cpu"]!);
    const all = (pod: string) => [...procsOf(pod), ...workerProcsOf(pod)].sort();
    const before = { probe: all(probe.id), spin: all(spin.id) };
    const agentPid = processesMentioning(endpoint()).find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("\0agent\0"));
    expect(agentPid).toBeGreaterThan(0);
    process.kill(agentPid!, "SIGKILL");
    const agentLog = () => readFileSync(join(w.dir, "g", "logs", "agent-0.log"), "utf8");
    await waitFor("the agent to re-adopt its containers", () => (agentLog().match(/re-adopted/g) ?? []).length >= 2, 30_000);
    await waitFor("the restarted agent to answer", async () => (await agentReports()).length >= 2, 20_000);
    expect({ probe: all(probe.id), spin: all(spin.id) }).toEqual(before);
    expect(pods(jobs["agent-probe"]!).every((p) => p.state === "running")).toBe(true);
  }, 60_000);

  test("stopping galaxy up leaves no process, cgroup or mount behind", async () => {
    expect(await stopChild(up!, "SIGINT", 30_000)).toBe(0);
    up = null;
    expect(processesMentioning(w.dir)).toEqual([]);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(w.dir);
    expect(existsSync(`${V1}/memory/galaxy/${key()}`)).toBe(false);
    expect(existsSync(CACHE)).toBe(false);
  }, 60_000);
});

/** Listens on a port so that it is taken; null when something else already holds it (taken either way). */
function holdPort(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(null));
    s.listen(port, "0.0.0.0", () => resolve(s));
  });
}
