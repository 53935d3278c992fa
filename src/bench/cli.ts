// `galaxy bench cli`: wall time of client commands as a user runs them, against a `galaxy up` cluster holding
// N jobs (replica 0, submitted through AppMaster's RPC with the admin's token): `galaxy jobs --json` and
// `galaxy --help` (startup alone), each the median of several runs.
import { RpcClient } from "../rpc/index.ts";
import { round, summarize } from "./stats.ts";
import { startUpProcess, type UpConfig } from "./up-process.ts";

export interface CliBenchOptions {
  galaxy: string[];
  jobs: number;
  runs: number;
  log: (msg: string) => void;
}

export interface CommandTiming {
  command: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export interface CliFigures {
  jobs: number;
  submitSec: number;
  timings: CommandTiming[];
}

export async function runCliBench(o: CliBenchOptions): Promise<CliFigures> {
  const up = await startUpProcess({ galaxy: o.galaxy, name: "cli", agents: 1 });
  const env = up.env;
  try {
    const t0 = performance.now();
    const cfg = up.config;
    await submitJobs(cfg, o.jobs);
    const submitSec = (performance.now() - t0) / 1000;
    o.log(`submitted ${o.jobs} jobs in ${submitSec.toFixed(1)} s`);
    const listed = (JSON.parse(run(o.galaxy, ["jobs", "--json"], env).stdout) as unknown[]).length;
    if (listed < o.jobs) throw new Error(`galaxy jobs --json listed ${listed} jobs, ${o.jobs} were submitted`);
    const timings = [
      time(o.galaxy, ["jobs", "--json"], env, o.runs),
      time(o.galaxy, ["--help"], env, o.runs),
      time(o.galaxy, ["version"], env, o.runs),
      await timeRpc(cfg, o.runs),
    ];
    return { jobs: o.jobs, submitSec: round(submitSec, 2), timings };
  } finally {
    await up.stop();
  }
}

type Cfg = UpConfig;
const amClient = (cfg: Cfg) => new RpcClient({ addresses: cfg.appmaster, credentials: { user: cfg.user, token: cfg.token }, timeoutMs: 30_000 });

/** The same listing as one RPC from this (warm) process: what the command costs beyond starting a process. */
async function timeRpc(cfg: Cfg, runs: number): Promise<CommandTiming> {
  const am = amClient(cfg);
  await am.call("AppMaster/ListJobs", { all: true, brief: true });
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await am.call("AppMaster/ListJobs", { all: true, brief: true });
    ms.push(performance.now() - t0);
  }
  const s = summarize(ms);
  return { command: "AppMaster/ListJobs RPC alone (warm client)", runs, medianMs: round(s.p50, 1), minMs: round(Math.min(...ms), 1), maxMs: round(s.max, 1) };
}

async function submitJobs(cfg: Cfg, n: number): Promise<void> {
  const am = amClient(cfg);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const text = JSON.stringify({
        name: `bench-${i}`, type: "service", deploy: { replica: 0, pools: ["default"] },
        pod: { tasks: [{ name: "main", cpu: { millicores: 10 }, memory: { size: "16M" }, start: "sleep 1000" }] },
      });
      await am.call("AppMaster/SubmitJob", { spec: { text, filename: `bench-${i}.json`, format: "" } });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

function run(galaxy: string[], args: string[], env: Record<string, string>): { stdout: string; ms: number } {
  const t0 = performance.now();
  const r = Bun.spawnSync([...galaxy, ...args], { env, stdout: "pipe", stderr: "pipe" });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`galaxy ${args.join(" ")} exited ${r.exitCode}: ${r.stderr.toString().trim()}`);
  return { stdout: r.stdout.toString(), ms };
}

function time(galaxy: string[], args: string[], env: Record<string, string>, runs: number): CommandTiming {
  run(galaxy, args, env); // warm the page cache
  const ms = Array.from({ length: runs }, () => run(galaxy, args, env).ms);
  const s = summarize(ms);
  return { command: `galaxy ${args.join(" ")}`, runs, medianMs: round(s.p50, 1), minMs: round(Math.min(...ms), 1), maxMs: round(s.max, 1) };
}
