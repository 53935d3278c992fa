// Slurm as a peer of `galaxy bench host`: munged, slurmctld and slurmd for localhost, started in the foreground from
// a temp dir with their own key, socket, ports, state and logs (nothing of the host's is read or touched), the
// services as one array job of `exec sleep 100000` and the batch as one array job of `sleep 1` (as Galaxy gets one
// job of each), polled with squeue. Everything started is stopped and the temp dir removed, even on failure.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { Subprocess } from "bun";
import { hostSnapshot, type ProcSample } from "./host-procs.ts";
import { peerOverhead, type Peer, type PeerFigures, type PeerOptions, type PeerPhase } from "./peers.ts";
import { freePorts, onInterrupt } from "./procs.ts";
import { run, spawn, stopProc, tail, until, waitGone } from "./peer-proc.ts";
import { round } from "./stats.ts";

export interface SlurmConfInput {
  dir: string;
  ctldPort: number;
  slurmdPort: number;
  cpus: number;
}

/** A slurm.conf for one node, localhost, with `cpus` CPUs (one per job), all state under `dir`, no accounting. */
export function slurmConf(c: SlurmConfInput): string {
  return [
    "ClusterName=galaxybench",
    "SlurmctldHost=localhost",
    `SlurmctldPort=${c.ctldPort}`,
    `SlurmdPort=${c.slurmdPort}`,
    "AuthType=auth/munge",
    "CredType=cred/munge",
    `AuthInfo=socket=${join(c.dir, "munge", "munge.sock")}`,
    "SlurmUser=root",
    "SlurmdUser=root",
    `StateSaveLocation=${join(c.dir, "ctld")}`,
    `SlurmdSpoolDir=${join(c.dir, "spool")}`,
    `SlurmctldPidFile=${join(c.dir, "slurmctld.pid")}`,
    `SlurmdPidFile=${join(c.dir, "slurmd.pid")}`,
    `SlurmctldLogFile=${join(c.dir, "slurmctld.log")}`,
    `SlurmdLogFile=${join(c.dir, "slurmd.log")}`,
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "SwitchType=switch/none",
    "MpiDefault=none",
    "ReturnToService=2",
    "SchedulerType=sched/builtin",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core",
    "SlurmdParameters=config_overrides",
    "JobCompType=jobcomp/none",
    "AccountingStorageType=accounting_storage/none",
    "JobAcctGatherType=jobacct_gather/none",
    "MaxJobCount=200000",
    "MaxArraySize=100001",
    "MinJobAge=300",
    `NodeName=localhost CPUs=${c.cpus} RealMemory=8000 State=UNKNOWN`,
    "PartitionName=bench Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
    "",
  ].join("\n");
}

/** `sbatch --parsable` output ("123" or "123;cluster") -> the job id. */
export function parseJobId(out: string): string {
  const id = out.trim().split(";")[0]!;
  if (!/^\d+$/.test(id)) throw new Error(`sbatch answered "${out.trim()}", not a job id`);
  return id;
}

/** `squeue -h -r -o %T` output -> count per state. */
export function tallyStates(out: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of out.split("\n")) {
    const s = line.trim();
    if (s) m.set(s, (m.get(s) ?? 0) + 1);
  }
  return m;
}

const LIVE = ["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING"];

/** Whether an array job of `n` tasks is where the phase waits for: all running, or all ended (done = all completed). */
export function phaseState(states: Map<string, number>, n: number, until: "running" | "finished"): { stop: boolean; done: boolean; note: string } {
  const count = (s: string) => states.get(s) ?? 0;
  const note = [...states].map(([s, k]) => `${k} ${s.toLowerCase()}`).join(", ") || "none listed";
  if (until === "running") return { stop: count("RUNNING") >= n, done: count("RUNNING") >= n, note };
  const total = [...states.values()].reduce((a, b) => a + b, 0);
  const live = LIVE.reduce((a, s) => a + count(s), 0);
  const stop = total >= n && live === 0;
  return { stop, done: stop && count("COMPLETED") >= n, note };
}

const isStepd = (p: ProcSample) => /^slurmstepd: \[\d+(_\d+)?\.batch\]/.test(p.cmdline);
/** Every slurmstepd on the host, by its comm (an exiting one has no cmdline any more). */
const anyStepd = () => readdirSync("/proc").filter((n) => /^\d+$/.test(n) && tail(`/proc/${n}/comm`) === "slurmstepd").map(Number);

export const slurmPeer: Peer = { id: "slurm", name: "Slurm", tool: "slurmctld", install: "apt-get install -y slurm-wlm", run: runSlurm };

async function runSlurm(o: PeerOptions): Promise<PeerFigures> {
  const cluster = await startSlurm(Math.max(128, o.services, o.batch));
  const off = onInterrupt(() => cluster.stop());
  try {
    const figures: PeerFigures = { services: null, idle: null, batch: null };
    if (o.services > 0) {
      o.log(`peer Slurm: ${o.services} idle services (one array job)`);
      const s = await cluster.phase(o.services, "exec sleep 100000", "running", o.log);
      figures.services = s.figure;
      if (s.figure.done) {
        o.log(`peer Slurm: idle: measuring ${o.idleSeconds} s`);
        const before = hostSnapshot();
        await Bun.sleep(o.idleSeconds * 1000);
        const after = hostSnapshot();
        const c = peerOverhead(before, after, { perContainer: isStepd, task: (p) => p.cmdline === "sleep 100000", hostPids: cluster.pids() }, o.idleSeconds);
        figures.idle = { ...c, chargedPerPod: null, seconds: o.idleSeconds };
      }
      await cluster.cancel(s.jobId);
    }
    if (o.batch > 0) {
      o.log(`peer Slurm: ${o.batch} one-second tasks (one array job)`);
      figures.batch = (await cluster.phase(o.batch, "sleep 1", "finished", o.log)).figure;
    }
    return figures;
  } finally {
    off();
    await cluster.stop();
  }
}

interface SlurmCluster {
  phase(n: number, wrap: string, until: "running" | "finished", log: (m: string) => void): Promise<{ jobId: string; figure: PeerPhase }>;
  cancel(jobId: string): Promise<void>;
  pids(): number[];
  stop(): Promise<void>;
}

async function startSlurm(cpus: number): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), "galaxy-bench-slurm-"));
  const procs: Subprocess[] = [];
  const jobs: string[] = [];
  const env = { ...process.env, SLURM_CONF: join(dir, "slurm.conf") };
  const others = new Set(anyStepd()); // another Slurm's, before ours started: never waited for nor killed
  const ourStepd = () => anyStepd().filter((pid) => !others.has(pid));
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= stopAll());
  const stopAll = async () => {
    for (const j of jobs) await run(["scancel", j], env, dir).catch(() => "");
    await waitGone(ourStepd, 20_000);
    for (const p of [...procs].reverse()) await stopProc(p);
    await waitGone(ourStepd, 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const d of ["munge", "ctld", "spool"]) mkdirSync(join(dir, d), { mode: 0o700 });
    const key = join(dir, "munge", "munge.key");
    writeFileSync(key, randomBytes(1024), { mode: 0o600 });
    chmodSync(key, 0o600);
    const base = await freePorts([0, 1]);
    writeFileSync(env.SLURM_CONF, slurmConf({ dir, ctldPort: base, slurmdPort: base + 1, cpus }));
    const m = join(dir, "munge");
    procs.push(spawn(["munged", "-F", "--force", `--key-file=${key}`, `--socket=${join(m, "munge.sock")}`, `--pid-file=${join(m, "munged.pid")}`, `--log-file=${join(m, "munged.log")}`, `--seed-file=${join(m, "seed")}`], env, dir));
    await until("munged's socket", () => existsSync(join(m, "munge.sock")), 10_000, () => tail(join(m, "munged.log")));
    procs.push(spawn(["slurmctld", "-D", "-i"], env, dir));
    procs.push(spawn(["slurmd", "-D", "-N", "localhost"], env, dir));
    await until("the node to be idle", async () => /^idle/.test((await run(["sinfo", "-h", "-N", "-o", "%T"], env, dir).catch(() => "")).trim()), 30_000, () => tail(join(dir, "slurmctld.log")) || tail(join(dir, "slurmd.log")));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pids: () => procs.map((p) => p.pid),
    stop,
    async cancel(jobId) {
      await run(["scancel", jobId], env, dir);
      await until(`job ${jobId} to end`, async () => phaseState(tallyStates(await run(["squeue", "-h", "-r", "-j", jobId, "-t", "all", "-o", "%T"], env, dir)), 1, "finished").stop, 60_000, () => "");
      await waitGone(ourStepd, 30_000);
    },
    async phase(n, wrap, untilState, log) {
      const t0 = performance.now();
      const jobId = parseJobId(await run(["sbatch", "--parsable", `--array=0-${n - 1}`, "-J", "galaxy-bench", "-o", "/dev/null", "--wrap", wrap], env, dir));
      jobs.push(jobId);
      const deadline = Date.now() + 600_000;
      let st = { stop: false, done: false, note: "" };
      let lastLog = performance.now();
      while (Date.now() < deadline) {
        st = phaseState(tallyStates(await run(["squeue", "-h", "-r", "-j", jobId, "-t", "all", "-o", "%T"], env, dir)), n, untilState);
        if (st.stop) break;
        if (performance.now() - lastLog > 5000) (lastLog = performance.now()), log(`  peer Slurm ${((performance.now() - t0) / 1000).toFixed(0)} s: ${st.note}`);
        await Bun.sleep(100);
      }
      return { jobId, figure: { pods: n, seconds: round((performance.now() - t0) / 1000, 2), done: st.done, note: st.note } };
    },
  };
}
