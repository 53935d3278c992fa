// The service layer end to end, with the compiled executable on one `galaxy up --agents 3`: a 4-replica HTTP
// service deployed step by step, updated v1 -> v2 in place while it keeps serving, rolled back, its data reloaded
// without a restart; services and naming file; a worker killed and re-adopted; scale and recover; a crashing task
// retried then failed; a pod stuck deploying moved to another agent; a batch job that finishes and frees its containers.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freeAgentPorts, alive, freePortBase, GALAXY, processesMentioning, requireBinary, stopChild, waitFor, workerOf, World } from "./harness.ts";

setDefaultTimeout(120_000);

interface Pod { id: string; agent: string; state: string; version: number; restarts: number; lastError: string; ports: { name: string; port: number }[]; tasks: { pid: number; exitCode: number; message: string }[] }

const SERVER_JS = `const fs = require("fs");
const read = () => fs.readFileSync("dict/words", "utf8").trim();
let dict = read();
process.on("SIGHUP", () => { dict = read(); });
fs.writeFileSync("server.pid", String(process.pid));
const v = fs.readFileSync(__dirname + "/VERSION", "utf8").trim();
require("http").createServer((q, s) => s.end(v + " " + dict + "\\n")).listen(+process.env.GALAXY_PORT_HTTP);
`;

describe("appmaster: deploy, update in place, failure policy, services", () => {
  const w = new World();
  let up: ChildProcess;
  let webId = "";
  let before: Pod[] = [];
  const pkgDir = join(w.dir, "pkg");
  let hangServer: ReturnType<typeof Bun.serve> | null = null;

  /** galaxy without blocking the event loop (the HTTP pollers keep running meanwhile). */
  async function galaxy(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const p = Bun.spawn([GALAXY, ...args], { env: w.env, cwd: w.dir, stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { code, stdout, stderr };
  }
  const pods = (job: string): Pod[] => w.json(["pods", "-j", job]);
  const jobOf = (job: string) => w.json(["job", job]).job;

  function makePackage(name: string, files: Record<string, string>): void {
    const src = join(pkgDir, `src-${name}`);
    mkdirSync(src, { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(join(src, f), text);
    expect(spawnSync("tar", ["czf", join(pkgDir, `${name}.tar.gz`), "-C", src, "."]).status).toBe(0);
  }

  /** The pod of the web server: its package (app) and data package (dict) from `source`s. */
  const webPod = (app: string, dict: string, memory = "128M") => `pod:
  workspace: {size: 64M}
  tasks:
    - name: web
      cpu: {millicores: 250}
      memory: {size: ${memory}}
      ports: [{name: http, port: dynamic}]
      package: {source: "${app}", version: "${app.split("/").pop()}", dest: app}
      start: exec node app/server.js
      stop: "kill $(cat server.pid)"
      health: {port: http}
      data: {reload: "kill -HUP $(cat server.pid)", packages: [{source: "${dict}", version: "${dict.split("/").pop()}", dest: dict}]}
      services: [{name: web, port: http}]
`;

  function webFile(app: string, dict: string, o: { replica?: number; memory?: string } = {}): string {
    return jobFile(`web-${app}-${dict}-${o.memory ?? ""}`, `name: web
type: service
deploy: {replica: ${o.replica ?? 4}, step: 1, pools: [default], stop_timeout: 2s}
${webPod(`file://${pkgDir}/web-${app}.tar.gz`, `file://${pkgDir}/dict-${dict}.tar.gz`, o.memory)}`);
  }

  function jobFile(name: string, text: string): string {
    const f = join(w.dir, `${name}.yaml`);
    writeFileSync(f, text);
    return f;
  }

  /** Polls every pod's port until stopped; returns the fewest that answered in any round. */
  function pollServing(ports: number[]): { stop: () => Promise<{ min: number; rounds: number }> } {
    let running = true;
    let min = ports.length;
    let rounds = 0;
    const loop = (async () => {
      while (running) {
        const ok = await Promise.all(ports.map((port) => fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1500) }).then((r) => r.ok, () => false)));
        min = Math.min(min, ok.filter(Boolean).length);
        rounds++;
        await Bun.sleep(50);
      }
    })();
    return { stop: async () => ((running = false), await loop, { min, rounds }) };
  }

  const answers = (ps: Pod[]) => Promise.all(ps.map(async (p) => (await fetch(`http://127.0.0.1:${p.ports[0]!.port}/`)).text()));

  beforeAll(async () => {
    requireBinary();
    mkdirSync(pkgDir, { recursive: true });
    chmodSync(w.dir, 0o711); // tasks run as their own user: file:// packages must be reachable by it (others may enter, not list)
    chmodSync(pkgDir, 0o755);
    makePackage("web-v1", { VERSION: "v1", "server.js": SERVER_JS });
    makePackage("web-v2", { VERSION: "v2", "server.js": SERVER_JS });
    makePackage("dict-d1", { words: "d1" });
    makePackage("dict-d2", { words: "d2" });
    const base = await freePortBase(20);
    const portsFrom = await freeAgentPorts();
    up = w.start("up", ["up", "--dir", join(w.dir, "g"), "--agents", "3", "--port", String(base), "--ports-from", String(portsFrom), "--quiet"]);
    await waitFor("galaxy up to report ready", () => w.log("up").includes("Galaxy is up"), 60_000);
  });

  afterAll(async () => {
    hangServer?.stop(true);
    if (up) await stopChild(up, "SIGINT", 30_000);
    await w.cleanup();
  });

  test("a 4-replica service deploys step by step and every pod serves v1", async () => {
    const r = w.run(["submit", "-f", webFile("v1", "d1")]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    webId = r.stdout.trim();
    before = await waitFor("4 pods running", () => {
      const ps = pods(webId);
      return ps.length === 4 && ps.every((p) => p.state === "running" && p.version === 1) ? ps : null;
    }, 60_000);
    expect(await answers(before)).toEqual(Array(4).fill("v1 d1\n"));
    const steps = w.json(["events", webId]).filter((e: { kind: string; message: string }) => e.kind === "deploy" && e.message.startsWith("step:"));
    expect(steps.length).toBe(4); // step 1: one pod at a time
  });

  test("update v1 -> v2 with step 1: never fewer than 3 serving; every pod ends on v2 in the same container", async () => {
    const poll = pollServing(before.map((p) => p.ports[0]!.port));
    const r = await galaxy(["update", "web", "-f", webFile("v2", "d1"), "--watch"]);
    const { min, rounds } = await poll.stop();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${webId} updating: rebuild 1 -> 2`);
    expect(r.stdout).toMatch(/running: rebuild 1 -> 2: 4\/4 pods on version 2 \(done\)/);
    expect(rounds).toBeGreaterThan(10);
    expect(min).toBeGreaterThanOrEqual(3);
    const after = pods(webId);
    expect(after.map((p) => [p.id, p.agent, p.version, p.state])).toEqual(before.map((p) => [p.id, p.agent, 2, "running"]));
    expect(after.map((p) => p.ports[0]!.port)).toEqual(before.map((p) => p.ports[0]!.port));
    for (let i = 0; i < 4; i++) expect(after[i]!.tasks[0]!.pid).not.toBe(before[i]!.tasks[0]!.pid);
    expect(await answers(after)).toEqual(Array(4).fill("v2 d1\n"));
    const events = w.json(["events", webId, "--limit", "500"]) as { kind: string; message: string }[];
    const steps = events.filter((e) => e.kind === "update" && e.message.startsWith("step:")).map((e) => e.message);
    expect(steps.length).toBe(4);
    for (const m of steps) expect(m).toMatch(/^step: \S+ rebuild to version 2$/); // one pod per step
    expect(events.some((e) => e.kind === "failover" || e.kind === "revoked" || e.kind === "preempt")).toBe(false); // no reschedule
    expect(jobOf(webId)).toMatchObject({ state: "running", version: 2, update: { kind: "rebuild", fromVersion: 1, toVersion: 2, updated: 4, state: "done" } });
  });

  test("a rollback returns every pod to v1, in place", async () => {
    const r = await galaxy(["update", webId.slice(0, 10), "--rollback", "--watch"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("running: rollback 2 -> 1: 4/4 pods on version 1 (done)");
    const after = pods(webId);
    expect(after.map((p) => [p.agent, p.version, p.state])).toEqual(before.map((p) => [p.agent, 1, "running"]));
    expect(await answers(after)).toEqual(Array(4).fill("v1 d1\n"));
    before = after;
  });

  test("a reload changes the data package without restarting the task (same pid)", async () => {
    const r = await galaxy(["update", "web", "-f", webFile("v1", "d2"), "--watch"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("reload 1 -> 3");
    const after = pods(webId);
    expect(after.map((p) => [p.version, p.state, p.tasks[0]!.pid, p.restarts])).toEqual(before.map((p) => [3, "running", p.tasks[0]!.pid, 0]));
    expect(await answers(after)).toEqual(Array(4).fill("v1 d2\n"));
    before = after;
  });

  test("galaxy services and the naming file list reachable addresses", async () => {
    const services = w.json(["services", "web"]) as { pod: string; service: string; address: string; status: string }[];
    expect(services.map((s) => [s.pod, s.service, s.status])).toEqual(before.map((p) => [p.id, "web", "healthy"]));
    for (const s of services) {
      expect(s.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(await (await fetch(`http://${s.address}/`)).text()).toBe("v1 d2\n");
    }
    expect(w.run(["services", webId]).stdout).toMatch(/^POD\s+SERVICE\s+ADDRESS\s+STATUS\n.*\.0\s+web\s+127\.0\.0\.1:\d+\s+healthy/);
    const naming = join(w.dir, "g", "cluster", "naming", `${webId}.json`);
    const doc = await waitFor("the naming file", () => existsSync(naming) && JSON.parse(readFileSync(naming, "utf8")), 10_000);
    expect(doc).toMatchObject({ job: webId, name: "web", services });
  });

  test("a worker killed with -9 is restarted by its agent and re-adopts its task instead of starting another", async () => {
    const p = before[0]!;
    // the pod's own worker, or the host worker serving it (and its agent's other pods) with the per-host service layer
    const worker = workerOf(p.id);
    expect(worker).toBeGreaterThan(0);
    const hostWorkers = () => readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(1, 3).join(" ") === "appworker --host";
      } catch {
        return false;
      }
    });
    const hostMode = hostWorkers().includes(worker);
    const old = new Set(hostWorkers());
    process.kill(worker, "SIGKILL");
    // a host worker's tasks lose it as their launcher's parent: a new host worker is one that was not there before
    await waitFor("a new worker", () => (hostMode ? hostWorkers().some((pid) => !old.has(pid)) : ((n) => n > 0 && n !== worker)(workerOf(p.id))), 20_000);
    await Bun.sleep(1500); // give a duplicate (the bug) time to appear
    const now = pods(webId).find((x) => x.id === p.id)!;
    expect([now.state, now.tasks[0]!.pid, now.restarts]).toEqual(["running", p.tasks[0]!.pid, 0]);
    expect(alive(p.tasks[0]!.pid)).toBe(true);
    // the server itself (argv[0] node), not the launcher that started it (nsenter, with the host worker)
    const servers = processesMentioning(`GALAXY_POD_ID=${p.id}`).filter((pid) => {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      return argv[0]!.endsWith("node") && argv.some((a) => a.includes("server.js"));
    });
    expect(servers).toEqual([p.tasks[0]!.pid]);
  });

  test("recover rebuilds one pod in place; scale changes the replica", async () => {
    const p = before[1]!;
    const r = w.run(["recover", "web", "1"]);
    expect(r.stdout).toBe(`${p.id} rebuilding in place on ${p.agent}\n`);
    const rebuilt = await waitFor("the pod rebuilt", () => {
      const x = pods(webId).find((q) => q.id === p.id)!;
      return x.state === "running" && x.tasks[0]!.pid !== p.tasks[0]!.pid ? x : null;
    }, 30_000);
    expect(rebuilt.agent).toBe(p.agent);
    expect(w.run(["scale", "web", "2"]).stdout).toBe(`${webId} scaled to 2 pods\n`);
    await waitFor("2 pods", () => pods(webId).length === 2, 30_000);
    expect(jobOf(webId).replica).toBe(2);
  });

  test("changed resources recreate the containers, step at a time", async () => {
    const r = await galaxy(["update", "web", "-f", webFile("v1", "d2", { replica: 2, memory: "160M" }), "--watch"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/recreate 3 -> 4: 2\/2 pods on version 4 \(done\)/);
    const after = pods(webId);
    expect(after.map((p) => [p.version, p.state])).toEqual([[4, "running"], [4, "running"]]);
    expect(await answers(after)).toEqual(["v1 d2\n", "v1 d2\n"]);
    expect(jobOf(webId).resources.memory).toBe(160 * 1024 * 1024);
    const moves = (w.json(["events", webId, "--limit", "500"]) as { kind: string; message: string }[]).filter((e) => e.message.startsWith("moved off") && e.message.includes("recreating"));
    expect(moves.length).toBe(2);
  });

  test("a task that fails on start is retried with back-off, then Failed with its exit code shown", async () => {
    const id = w.run(["submit", "-f", jobFile("crash", `name: crash
deploy: {replica: 1, pools: [default], restart: {attempts: 2, delay: 200ms, max_delay: 1s}, stop_timeout: 1s}
pod:
  workspace: {size: 16M}
  tasks: [{name: main, cpu: {millicores: 200}, memory: {size: 64M}, start: "exit 3"}]
`)]).stdout.trim();
    try {
      // it fails on one agent, then on a second (the failure policy moves it, blacklisting each), then on the third,
      // where it stays failed (moves exhausted)
      const failed = await waitFor("the pod failed for good", () => {
        const bl = (jobOf(id).blacklist as { agent: string }[]).map((b) => b.agent);
        const p = pods(id)[0];
        return bl.length === 2 && p?.state === "failed" && p.agent && !bl.includes(p.agent) ? p : null;
      }, 60_000);
      expect(failed).toMatchObject({ restarts: 2, lastError: "main: exited 3; gave up after 2 restarts" });
      expect(failed.tasks[0]).toMatchObject({ exitCode: 3, message: "exited 3; gave up after 2 restarts" });
      expect(w.run(["pods", "-j", id]).stdout).toContain("main: exited 3; gave up after 2 restarts");
      const events = w.json(["events", id, "--limit", "500"]) as { kind: string; message: string }[];
      const exits = events.filter((e) => e.kind === "exit").map((e) => e.message);
      expect(exits.length).toBeGreaterThan(0);
      for (const m of exits) expect(m).toStartWith("task main exited 3");
      expect(events.some((e) => e.kind === "restart" && e.message.startsWith("task main restarted (restart 2)"))).toBe(true);
      expect(events.filter((e) => e.kind === "failover" && e.message.startsWith("moved off")).length).toBe(2);
    } finally {
      expect(w.run(["remove", id]).code).toBe(0);
    }
  });

  test("a pod stuck deploying past its deploy timeout is moved to another agent (and that agent blacklisted)", async () => {
    let hung = 0;
    hangServer = Bun.serve({
      port: 0, hostname: "127.0.0.1",
      fetch: () => (hung++ === 0 ? new Promise<Response>(() => {}) : new Response(Bun.file(join(pkgDir, "web-v1.tar.gz")))),
    });
    const id = w.run(["submit", "-f", jobFile("stuck", `name: stuck
deploy: {replica: 1, pools: [default], deploy_timeout: 3s, stop_timeout: 1s}
${webPod(`http://127.0.0.1:${hangServer.port}/web-v1.tar.gz`, `file://${pkgDir}/dict-d1.tar.gz`)}`)]).stdout.trim();
    try {
      const first = await waitFor("the pod deploying on its first agent", () => pods(id).find((p) => p.agent && p.state === "deploying"), 30_000);
      const moved = await waitFor("the pod running on another agent", () => pods(id).find((p) => p.state === "running" && p.agent !== first.agent), 60_000);
      expect(await (await fetch(`http://127.0.0.1:${moved.ports[0]!.port}/`)).text()).toBe("v1 d1\n");
      expect(jobOf(id).blacklist.map((b: { agent: string }) => b.agent)).toEqual([first.agent]);
      const events = w.json(["events", id]) as { kind: string; message: string }[];
      expect(events.some((e) => e.kind === "failover" && e.message.includes(`moved off ${first.agent}`) && e.message.includes("deploy_timeout"))).toBe(true);
    } finally {
      expect(w.run(["remove", id]).code).toBe(0);
    }
  });

  test("a batch job of 10 pods finishes, shows its counts and releases its containers", async () => {
    await waitFor("removed jobs gone", () => (w.json(["jobs"]) as { id: string }[]).length === 1, 30_000);
    const baseline = w.json(["status"]).containers;
    const id = w.run(["submit", "-f", jobFile("batch10", `name: batch10
type: batch
deploy: {replica: 10, step: 10, pools: [default], stop_timeout: 1s}
pod:
  workspace: {size: 16M}
  tasks: [{name: work, cpu: {millicores: 200}, memory: {size: 64M}, start: "echo working; sleep 0.3; exit 0"}]
`)]).stdout.trim();
    const job = await waitFor("the batch job finished", () => {
      const j = (w.json(["jobs"]) as { id: string; state: string }[]).find((x) => x.id === id);
      return j?.state === "finished" ? j : null;
    }, 60_000);
    expect(job).toMatchObject({ finished: 10, failed: 0 });
    expect(w.run(["jobs"]).stdout).toMatch(new RegExp(`${id}\\s+batch10\\s+batch\\s+admin\\s+finished \\(10 ok, 0 failed\\)`));
    await waitFor("its containers released", () => w.json(["status"]).containers === baseline, 30_000);
    await waitFor("no process of it left", () => processesMentioning(`GALAXY_JOB_ID=${id}`).length === 0, 30_000);
    // the pod table follows ResMan's hints on AppMaster's next sync round
    await waitFor("its pods gone from the pod table", () => (w.json(["pods", "-j", id]) as unknown[]).length === 0, 30_000);
  });

  test("submit surfaces ResMan's refusal and keeps nothing", () => {
    const r = w.run(["submit", "-f", jobFile("nopool", `name: nopool
deploy: {replica: 1, pools: [no-such-pool]}
pod: {tasks: [{name: main, cpu: {millicores: 10}, memory: {size: 16M}, start: "sleep 100"}]}
`)]);
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toContain("no-such-pool");
    expect(w.run(["jobs"]).stdout).not.toContain("nopool");
  });

  test("galaxy events: the cluster's trail includes the AppMaster taking over", () => {
    const all = w.json(["events", "--limit", "1000"]) as { kind: string; message: string; jobId: string }[];
    expect(all.some((e) => e.kind === "failover" && e.jobId === "" && e.message.includes("leads with epoch"))).toBe(true);
    const table = w.run(["events", "web", "-n", "5"]).stdout.split("\n");
    expect(table[0]).toMatch(/^TIME\s+POD\s+KIND\s+MESSAGE/);
    expect(table.length).toBeGreaterThanOrEqual(6);
  });
});
