// `galaxy bench host`: what Galaxy costs on a host per container, with real containers on this machine, through a
// `galaxy up` cluster started the way a user starts it:
//   1. services: one job of S idle services (`exec sleep 100000`, deploy step S) from submit to all running;
//   2. idle: PSS and cpu of Galaxy's own processes (per container, per host) and what is charged to the pods'
//      memory cgroups, over a window with nothing to do;
//   3. batch: one job of B one-second tasks (`sleep 1`, step B) from submit to finished; agents declared dead during
//      it (ResMan's view, polled every second) must be none.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RpcClient } from "../rpc/index.ts";
import { hostSnapshot, overhead, type Overhead, type ProcSample } from "./host-procs.ts";
import { waitUntil } from "./procs.ts";
import { round } from "./stats.ts";
import { startUpProcess, type UpConfig } from "./up-process.ts";

export interface HostBenchOptions {
  galaxy: string[];
  agents: number;
  services: number;
  batch: number;
  /** deploy step of both jobs (0: the job's replica count) */
  step: number;
  idleSeconds: number;
  memory: string;
  log: (msg: string) => void;
}

export interface PhaseFigure {
  pods: number;
  seconds: number;
  done: boolean;
  /** agents ResMan declared dead at any poll during the phase */
  agentsDead: number;
  note: string;
}

export interface HostFigures {
  agents: number;
  services: PhaseFigure | null;
  idle: (Overhead & { chargedPerPod: number; seconds: number }) | null;
  batch: PhaseFigure | null;
}

type Cfg = UpConfig;

export async function runHostBench(o: HostBenchOptions): Promise<HostFigures> {
  const cpu = String(Math.max(2, Math.ceil(((o.services + o.batch) * 10) / 1000) + 1));
  const up = await startUpProcess({ galaxy: o.galaxy, name: "host", agents: o.agents, args: ["--cpu", cpu, "--memory", o.memory], stopTimeoutMs: 60_000 });
  try {
    const cfg = up.config;
    const am = client(cfg.appmaster, cfg);
    const rm = client(cfg.resman, cfg);
    const agentPids = () => hostSnapshot().filter((p) => p.ppid === up.pid && / agent /.test(p.cmdline)).map((p) => p.pid);
    const figures: HostFigures = { agents: o.agents, services: null, idle: null, batch: null };
    if (o.services > 0) {
      o.log(`services: ${o.services} idle services, step ${o.step || o.services}`);
      const s = await phase(am, rm, jobText("idle", "service", o.services, o.step, "exec sleep 100000"), "running", o.log);
      figures.services = s.figure;
      if (s.figure.done) {
        o.log(`idle: measuring ${o.idleSeconds} s`);
        const roots = agentPids();
        const before = hostSnapshot();
        await Bun.sleep(o.idleSeconds * 1000);
        const after = hostSnapshot();
        const isTask = (c: string) => c === "sleep 100000";
        figures.idle = { ...overhead(before, after, roots, isTask, o.idleSeconds), chargedPerPod: chargedPerPod(after, isTask), seconds: o.idleSeconds };
      }
      await am.call("AppMaster/RemoveJob", { id: s.jobId });
      await waitUntil("the services to be removed", async () => (await am.call("AppMaster/ListJobs", { all: true, brief: true })).jobs.every((j) => j.id !== s.jobId), 300_000, 250);
    }
    if (o.batch > 0) {
      o.log(`batch: ${o.batch} one-second tasks, step ${o.step || o.batch}`);
      figures.batch = (await phase(am, rm, jobText("sleep1", "batch", o.batch, o.step, "sleep 1"), "finished", o.log)).figure;
    }
    return figures;
  } finally {
    await up.stop();
  }
}

const client = (addresses: string[], cfg: Cfg) => new RpcClient({ addresses, credentials: { user: cfg.user, token: cfg.token }, timeoutMs: 30_000 });

function jobText(name: string, type: string, replica: number, step: number, start: string): string {
  return JSON.stringify({
    name, type, deploy: { replica, step: step || replica, pools: ["default"], restart: { attempts: 1 } },
    pod: { workspace: { size: "64M" }, tasks: [{ name: "main", cpu: { millicores: 10 }, memory: { size: "64M" }, start }] },
  });
}

/** Submits a job and polls it every 100 ms until all its pods run (or the job finished), for at most 10 minutes. */
async function phase(am: RpcClient, rm: RpcClient, text: string, until: "running" | "finished", log: (m: string) => void): Promise<{ jobId: string; figure: PhaseFigure }> {
  const replica = (JSON.parse(text) as { deploy: { replica: number } }).deploy.replica;
  const dead = new Set<string>();
  let polling = true;
  const agentsPoll = (async () => {
    while (polling) {
      try {
        for (const a of (await rm.call("ResMan/ListAgents", {})).agents) if (a.state === "dead") dead.add(a.info?.endpoint ?? "?");
      } catch {
        /* a slow answer is not a dead agent */
      }
      await Bun.sleep(1000);
    }
  })();
  const t0 = performance.now();
  const { job } = await am.call("AppMaster/SubmitJob", { spec: { text, filename: "bench.json", format: "" } });
  let last = "";
  let done = false;
  const deadline = Date.now() + 600_000;
  let lastLog = 0;
  while (Date.now() < deadline) {
    const j = (await am.call("AppMaster/ListJobs", { all: true, brief: true })).jobs.find((x) => x.id === job!.id);
    last = j ? `${j.state} ${j.running} running, ${j.pending} pending, ${j.deploying} deploying, ${j.finished} finished, ${j.failed} failed` : "gone";
    if (j && (until === "running" ? j.running >= replica : j.state.startsWith("finished") || j.state === "failed")) {
      done = until === "running" || j.finished >= replica;
      break;
    }
    if (performance.now() - lastLog > 5000) (lastLog = performance.now()), log(`  ${((performance.now() - t0) / 1000).toFixed(0)} s: ${last}`);
    await Bun.sleep(100);
  }
  const seconds = (performance.now() - t0) / 1000;
  polling = false;
  await agentsPoll;
  return { jobId: job!.id, figure: { pods: replica, seconds: round(seconds, 2), done, agentsDead: dead.size, note: last } };
}

/** Memory charged to the pods' own cgroups beyond their tasks' PSS (v1 memory.usage_in_bytes, v2 memory.current). */
export function chargedPerPod(procs: readonly ProcSample[], isTask: (c: string) => boolean): number {
  const cgroups = new Map<string, number>();
  for (const p of procs) {
    if (!isTask(p.cmdline)) continue;
    const path = memoryCgroupOf(p.pid);
    if (path) cgroups.set(path, (cgroups.get(path) ?? 0) + p.pss);
  }
  let total = 0;
  for (const [path, taskPss] of cgroups) total += Math.max(0, usageOf(path) - taskPss);
  return cgroups.size ? total / cgroups.size : 0;
}

function memoryCgroupOf(pid: number): string {
  try {
    const text = readFileSync(`/proc/${pid}/cgroup`, "utf8");
    const v1 = /^\d+:memory:(\/.*)$/m.exec(text);
    if (v1) return `/sys/fs/cgroup/memory${v1[1]}`;
    const v2 = /^0::(\/.*)$/m.exec(text);
    return v2 ? `/sys/fs/cgroup${v2[1]}` : "";
  } catch {
    return "";
  }
}

function usageOf(cgroupDir: string): number {
  for (const f of ["memory.usage_in_bytes", "memory.current"]) {
    try {
      return Number(readFileSync(join(cgroupDir, f), "utf8").trim());
    } catch {
      /* the other version */
    }
  }
  return 0;
}
