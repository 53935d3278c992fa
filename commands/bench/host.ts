import { Command, Flags } from "@oclif/core";
import { runHostBench, type HostFigures } from "../../src/bench/host.ts";
import { containerdPeer } from "../../src/bench/peer-containerd.ts";
import { slurmPeer } from "../../src/bench/peer-slurm.ts";
import { peersTable, runPeers, selectPeers, type Peer } from "../../src/bench/peers.ts";
import { format, targetsTable, type Target } from "../../src/bench/report.ts";
import { machineInfo } from "../../src/bench/stats.ts";
import { selfCommand } from "../../src/sys/self.ts";
import { jsonFlag } from "../base.ts";
import { benchLog, runBench } from "./common.ts";

const MiB = 1024 * 1024;

/** The peers `--peers` can name, in the order they run and their columns show. */
const PEERS: Peer[] = [containerdPeer, slurmPeer];

export default class BenchHost extends Command {
  static override description = `Benchmark Galaxy's cost per container on this host, with real containers through a \`galaxy up\` cluster: S idle services from submit to all running, Galaxy's own PSS and idle cpu per container and per host, the memory charged to the pods' own cgroups, and B one-second batch tasks from submit to finished (with the agents ResMan declared dead meanwhile). Needs root for real cgroups; run it with the compiled executable (dist/galaxy).

JSON fields: machine, figures (agents, services {pods, seconds, done, agentsDead, note}, idle {containers, pssPerContainer, pssPerHost, taskPssPerContainer, idleCpuPerContainerPct, idleCpuPerHostPct, chargedPerPod, seconds}, batch {…as services}), targets[], peers[] {id, name, figures {services, idle {…, chargedPerPod: null without a cgroup of its own}, batch} or null, line}. With --peers (default: those installed) the same two workloads go through containerd + runc (ctr) and Slurm, started in a temp dir and stopped after, and their figures show in a column each beside Galaxy's.`;
  static override examples = [
    "dist/galaxy bench host",
    "<%= config.bin %> bench host --services 50 --batch 100",
    "<%= config.bin %> bench host --agents 2 --services 0 --batch 500",
  ];
  static override flags = {
    agents: Flags.integer({ description: "agents of the galaxy up cluster", default: 1, min: 1, max: 8 }),
    services: Flags.integer({ description: "idle services (one job, `exec sleep 100000`); 0 skips the services and idle phases", default: 50, min: 0 }),
    batch: Flags.integer({ description: "one-second batch tasks (one job, `sleep 1`); 0 skips the batch phase", default: 100, min: 0 }),
    step: Flags.integer({ description: "deploy step of both jobs (default: their replica count, so pacing does not limit)", default: 0, min: 0 }),
    idle: Flags.integer({ description: "seconds of the idle measurement", default: 10, min: 1 }),
    memory: Flags.string({ description: "memory each agent offers", default: "8G" }),
    galaxy: Flags.string({ description: "galaxy executable to run the cluster with (default: this one)" }),
    peers: Flags.string({ description: "peers to put the same workloads through, comma separated (containerd, slurm) or none (default: those installed)" }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BenchHost);
    await runBench(async () => {
      const selected = selectPeers(flags.peers, PEERS, Bun.which);
      const machine = machineInfo();
      const figures = await runHostBench({
        galaxy: flags.galaxy ? [flags.galaxy] : selfCommand(), agents: flags.agents, services: flags.services, batch: flags.batch,
        step: flags.step, idleSeconds: flags.idle, memory: flags.memory, log: benchLog,
      });
      const targets = hostTargets(figures);
      const peers = await runPeers(selected, { services: flags.services, batch: flags.batch, idleSeconds: flags.idle, log: benchLog });
      if (flags.json) return this.log(JSON.stringify({ machine, figures, targets, peers }, null, 2));
      this.log(describe(figures));
      this.log("");
      this.log(targetsTable(targets));
      const side = peersTable(figures, peers);
      if (side) this.log(`\n${side}`);
      if (peers.length) this.log(`\n${peers.map((p) => p.line).join("\n")}`);
    });
  }
}

const mib = (b: number) => `${(b / MiB).toFixed(2)} MiB`;

function describe(f: HostFigures): string {
  const lines: string[] = [];
  if (f.services) lines.push(`services: ${f.services.pods} from submit to all running in ${format(f.services.seconds)} s${f.services.done ? "" : ` (not done: ${f.services.note})`}`);
  if (f.idle) {
    const i = f.idle;
    lines.push(
      `idle (${i.seconds} s, ${i.containers} containers): Galaxy's PSS per container ${mib(i.pssPerContainer)} (tasks' own ${mib(i.taskPssPerContainer)}), per host ${mib(i.pssPerHost)}`,
      `  cpu per container ${i.idleCpuPerContainerPct.toFixed(3)}% of a core, per host ${i.idleCpuPerHostPct.toFixed(2)}%; charged to each pod's memory cgroup beyond its task ${mib(i.chargedPerPod)}`,
    );
  }
  if (f.batch) lines.push(`batch: ${f.batch.pods} one-second tasks from submit to finished in ${format(f.batch.seconds)} s${f.batch.done ? "" : ` (not done: ${f.batch.note})`}; agents declared dead: ${f.batch.agentsDead}`);
  return lines.join("\n");
}

/** The targets of issue #22; a phase that did not run has no target line. */
export function hostTargets(f: HostFigures): Target[] {
  const t: Target[] = [];
  if (f.idle) {
    t.push({ name: "Galaxy's PSS per container", goal: "< 1 MiB", figure: mib(f.idle.pssPerContainer), met: f.idle.pssPerContainer < MiB, atScale: f.idle.containers >= 50 });
    t.push({ name: "charged to the pod's limits", goal: "< 1 MiB", figure: mib(f.idle.chargedPerPod), met: f.idle.chargedPerPod < MiB, atScale: f.idle.containers >= 50 });
    t.push({ name: "idle cpu per container", goal: "< 0.01% of a core", figure: `${f.idle.idleCpuPerContainerPct.toFixed(3)}%`, met: f.idle.idleCpuPerContainerPct < 0.01, atScale: f.idle.containers >= 50 });
    t.push({ name: "per host: agent + service layer", goal: "< 60 MiB", figure: mib(f.idle.pssPerHost), met: f.idle.pssPerHost < 60 * MiB, atScale: true });
  }
  if (f.services) t.push({ name: `${f.services.pods} services submit -> all running`, goal: "< 5 s", figure: `${format(f.services.seconds)} s`, met: f.services.done && f.services.seconds < 5, atScale: f.services.pods >= 50 });
  if (f.batch) {
    t.push({ name: `${f.batch.pods} one-second batch tasks submit -> finished`, goal: f.batch.pods <= 100 ? "< 8 s" : "finish", figure: `${format(f.batch.seconds)} s`, met: f.batch.done && (f.batch.pods > 100 || f.batch.seconds < 8), atScale: f.batch.pods >= 100 });
    t.push({ name: "agents declared dead during the batch", goal: "0", figure: String(f.batch.agentsDead), met: f.batch.agentsDead === 0, atScale: true });
  }
  return t;
}
