// The worker as a real process (`bun src/main.ts appworker`) against a fake AppMaster: deploy, reload (same pid),
// rebuild, rollback from the package cache, a failed download, re-adoption after kill -9, fencing, stop command;
// and exits reported distinctly (exit code, signal with core dump) with restarts and back-off.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseJobFile } from "../core/jobspec.ts";
import { podPlanOf } from "../core/pod-plan.ts";
import { RpcServer } from "../rpc/index.ts";
import type { FetchTaskReply, FetchTaskRequest } from "../rpc/types.ts";
import { isAlive, waitFor as waitUntil } from "../sys/proc.ts";

const MAIN = resolve(import.meta.dir, "..", "main.ts");
const dir = mkdtempSync(join(tmpdir(), "galaxy-worker-"));
const SERVER_JS = `const fs=require('fs');let dict=fs.readFileSync('dict/words','utf8').trim();
process.on('SIGHUP',()=>{dict=fs.readFileSync('dict/words','utf8').trim()});
require('http').createServer((q,s)=>s.end(fs.readFileSync(__dirname+'/VERSION','utf8').trim()+' '+dict+'\\n')).listen(+process.env.GALAXY_PORT_HTTP);`;

function pkg(name: string, files: Record<string, string>): string {
  const src = join(dir, `src-${name}`);
  mkdirSync(src, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(src, f), text);
  const out = join(dir, `${name}.tar.gz`);
  expect(spawnSync("tar", ["czf", out, "-C", src, "."]).status).toBe(0);
  return `file://${out}`;
}

function plan(version: number, task: string, restart = "{attempts: 3, delay: 100ms, max_delay: 1s}") {
  const spec = parseJobFile(`
name: w
deploy: {replica: 1, pools: [default], stop_timeout: 3s, restart: ${restart}}
pod:
  tasks:
${task}`);
  return JSON.stringify(podPlanOf("w-1", version, spec));
}

const webTask = (app: string, dict: string) => `
    - name: web
      cpu: {millicores: 100}
      memory: {size: 64M}
      ports: [{name: http, port: dynamic}]
      package: {source: "${app}", version: "${app.slice(-9)}", dest: app}
      start: exec node app/server.js
      stop: "kill $(cat server.pid); touch stopped-by-command"
      health: {port: http}
      data: {reload: "kill -HUP $(cat server.pid)", packages: [{source: "${dict}", version: "${dict.slice(-9)}", dest: dict}]}`;

/** The fake AppMaster: `reply` decides each answer; every report is kept. */
class FakeAppMaster {
  readonly server = new RpcServer({ role: "appmaster", secret: () => "s" });
  readonly reports: FetchTaskRequest[] = [];
  reply: (req: FetchTaskRequest) => Partial<FetchTaskReply> = () => ({ command: "none" });
  epoch = 5;
  port = 0;
  start(): void {
    this.server.register("AppMaster/FetchTask", (req) => {
      this.reports.push(req);
      for (const t of req.tasks) if (t.pid) taskPids.add(t.pid);
      return { epoch: this.epoch, intervalMs: 200, stopTimeout: "3000", ...this.reply(req) };
    }, { auth: "none" });
    this.port = this.server.listen("127.0.0.1", 0).port;
  }
  last = (): FetchTaskRequest | undefined => this.reports.at(-1);
}

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

const children: ChildProcess[] = [];
function startWorker(ws: string, am: FakeAppMaster, ports: Record<string, number>): ChildProcess {
  mkdirSync(join(ws, "logs"), { recursive: true });
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, GALAXY_POD_ID: "w-1.0", GALAXY_JOB_ID: "w-1", GALAXY_CONTAINER_ID: "w-1.0",
    GALAXY_WORKSPACE: ws, GALAXY_AGENT: "a:1", GALAXY_PORTS: JSON.stringify(ports), GALAXY_POD_TOKEN: "t", GALAXY_APPMASTER: `127.0.0.1:${am.port}`,
  };
  const log = Bun.file(join(ws, "logs", "worker.log")).writer();
  const c = spawn(process.execPath, [MAIN, "appworker"], { cwd: ws, env, stdio: ["ignore", "pipe", "pipe"] });
  c.stdout!.on("data", (d) => log.write(d));
  c.stderr!.on("data", (d) => log.write(d));
  children.push(c);
  return c;
}

async function until<T>(what: string, f: () => T | undefined | false | null, ms = 15_000): Promise<T> {
  let v: T | undefined | false | null;
  const ok = await waitUntil(() => !!(v = f()), ms, 50);
  if (!ok) throw new Error(`timed out waiting for ${what}`);
  return v as T;
}

const get = async (port: number) => (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).text();

/** Task process groups this test's workers reported, killed at the end whatever happened. */
const taskPids = new Set<number>();
afterAll(() => {
  for (const c of children) if (c.pid && isAlive(c.pid)) c.kill("SIGKILL");
  for (const pid of taskPids) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("appworker process", () => {
  const am = new FakeAppMaster();
  beforeAll(() => am.start());
  afterAll(() => am.server.stop());

  test("deploy, reload in place, rebuild, rollback from cache, failed download, re-adoption, fencing, stop", async () => {
    const ws = join(dir, "ws-web");
    const port = await freePort();
    const v1 = pkg("app-v1", { "VERSION": "v1", "server.js": SERVER_JS.replace("require('http')", "fs.writeFileSync('server.pid',String(process.pid));require('http')") });
    const v2 = pkg("app-v2", { "VERSION": "v2", "server.js": SERVER_JS.replace("require('http')", "fs.writeFileSync('server.pid',String(process.pid));require('http')") });
    const d1 = pkg("dict-d1", { words: "d1" });
    const d2 = pkg("dict-d2", { words: "d2" });
    const running = (v: number) => () => {
      const r = am.last();
      return r && r.state === "running" && r.version === v && r.tasks[0]?.healthy ? r : undefined;
    };
    am.reply = () => ({ command: "start", version: 1, podJson: plan(1, webTask(v1, d1)) });
    let worker = startWorker(ws, am, { http: port });
    const r1 = await until("version 1 running and healthy", running(1));
    expect(await get(port)).toBe("v1 d1\n");
    const pid = r1.tasks[0]!.pid;

    am.reply = () => ({ command: "reload", version: 2, podJson: plan(2, webTask(v1, d2)) });
    await until("version 2 (reloaded)", running(2));
    expect(await until("the new data served", async () => (await get(port)) === "v1 d2\n" || undefined)).toBe(true);
    expect(am.last()!.tasks[0]!.pid).toBe(pid);

    am.reply = () => ({ command: "rebuild", version: 3, podJson: plan(3, webTask(v2, d2)) });
    const r3 = await until("version 3 (rebuilt)", running(3));
    expect(r3.tasks[0]!.pid).not.toBe(pid);
    expect(await get(port)).toBe("v2 d2\n");

    am.reply = () => ({ command: "rebuild", version: 4, podJson: plan(4, webTask(`file://${dir}/missing.tar.gz`, d2)) });
    const failed = await until("the failed deploy reported", () => am.last()?.state === "failed" && am.last());
    expect(failed.version).toBe(4);
    expect(failed.message).toContain("deploy of version 4 failed: cannot download");
    expect(failed.tasks[0]!.pid).toBe(r3.tasks[0]!.pid); // the old tasks keep serving
    expect(await get(port)).toBe("v2 d2\n");
    am.reply = () => ({ command: "rebuild", version: 3, podJson: plan(3, webTask(v2, d2)) });
    await until("back to version 3, failure forgotten", running(3));

    rmSync(v1.slice(7)); // the rollback to v1 must come from the cache
    am.reply = () => ({ command: "rebuild", version: 2, podJson: plan(2, webTask(v1, d2)) });
    const r2 = await until("rolled back to version 2", running(2));
    expect(await get(port)).toBe("v1 d2\n");

    // kill -9 the worker: a new one re-adopts the running task instead of starting a second one
    worker.kill("SIGKILL");
    await until("the worker to die", () => !isAlive(worker.pid!));
    const reports = am.reports.length;
    worker = startWorker(ws, am, { http: port });
    const again = await until("the new worker's report", () => am.reports.length > reports && am.reports.slice(reports).find((r) => r.state === "running"));
    expect(again.pid).toBe(worker.pid!);
    expect(again.tasks[0]!.pid).toBe(r2.tasks[0]!.pid);
    expect(again.tasks[0]!.restarts).toBe(0);
    expect(readFileSync(join(ws, "logs", "worker.log"), "utf8")).toContain("re-adopted 1 of 1 running tasks");

    // fencing: a deposed AppMaster (lower epoch) cannot make it stop
    am.epoch = 4;
    am.reply = () => ({ command: "terminate" });
    await until("the refusal", () => readFileSync(join(ws, "logs", "worker.log"), "utf8").includes("refused a command from AppMaster epoch 4; epoch 5 was seen"));
    expect(isAlive(worker.pid!)).toBe(true);

    // terminate: the stop command runs and the task ends (its group is killed), then the worker exits 0
    am.epoch = 6;
    const exited = new Promise<number | null>((res) => worker.once("exit", (code) => res(code)));
    expect(await exited).toBe(0);
    expect(existsSync(join(ws, "stopped-by-command"))).toBe(true);
    expect(isAlive(r2.tasks[0]!.pid)).toBe(false);
    expect(am.last()!.state).toBe("terminated");
  }, 60_000);

  test("a task that keeps failing is restarted with back-off, then failed; exits and signals read distinctly", async () => {
    const ws = join(dir, "ws-fail");
    const tasks = `
    - name: three
      cpu: {millicores: 10}
      memory: {size: 8M}
      start: "exit 3"
    - name: segv
      cpu: {millicores: 10}
      memory: {size: 8M}
      start: "ulimit -c unlimited; kill -SEGV $$"`;
    am.epoch = 1;
    am.reply = (req) => (req.podId === "w-1.0" ? { command: "start", version: 1, podJson: plan(1, tasks, "{attempts: 2, delay: 200ms, max_delay: 1s}") } : {});
    const from = am.reports.length;
    startWorker(ws, am, {});
    const failed = await until("both tasks failed", () => {
      const r = am.last();
      return am.reports.length > from && r?.state === "failed" && r.tasks.every((t) => t.state === "failed") && r;
    }, 20_000);
    const [three, segv] = failed.tasks;
    expect(three).toMatchObject({ exitCode: 3, restarts: 2, message: "exited 3; gave up after 2 restarts" });
    expect(segv).toMatchObject({ signal: "SIGSEGV", coreDumped: true, restarts: 2, message: "killed by SIGSEGV (core dumped); gave up after 2 restarts" });
    // back-off: 200 ms, then 400 ms between the tries
    const starts = am.reports.slice(from).flatMap((r) => r.tasks.filter((t) => t.name === "three").map((t) => `${t.restarts}:${t.startedAt}`));
    const firstStart = (n: number) => Number(starts.find((s) => s.startsWith(`${n}:`))!.split(":")[1]);
    expect(firstStart(2) - firstStart(1)).toBeGreaterThanOrEqual(390);
    expect(readFileSync(join(ws, "logs", "worker.log"), "utf8")).toContain("task three: restarting in 400 ms");
  }, 30_000);
});
