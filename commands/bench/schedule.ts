import { Command, Flags } from "@oclif/core";
import { parseShape } from "../../src/bench/workload.ts";
import { DRIVERS, type Driver } from "../../src/bench/schedule.ts";
import { contestTable, runScheduleSuite, scheduleTable, scheduleTargets } from "../../src/bench/schedule-suite.ts";
import { targetsTable } from "../../src/bench/report.ts";
import { machineInfo } from "../../src/bench/stats.ts";
import { InvalidError } from "../../src/core/errors.ts";
import type { ScoreKind } from "../../src/scheduler/index.ts";
import { jsonFlag } from "../base.ts";
import { benchLog, listFlag, runBench } from "./common.ts";

function parseTarget(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = Number(text);
  if (!Number.isFinite(t) || t <= 0 || t > 1) throw new InvalidError(`--load-target ${JSON.stringify(text)} is not a utilisation in (0, 1]`);
  return t;
}

export default class BenchSchedule extends Command {
  static override description = `Benchmark the scheduler alone, in this process: the C1M shape (N agents, M groups x K replicas) and the Alibaba Tianchi 2018 placement trace. Drivers: place (place() group by group, feeding placements back), batch (one place() call), resman (ResManCore createGroup + tick per group), resman-batch (all groups, one tick).

JSON fields: machine, notes, figures[] (workload, driver, agents, groups, containers, runs, placed, placedFraction, seconds, placementsPerSec, groupP50Ms, groupP99Ms, agentsUsed, cpuPacking, memoryPacking, stillFitting, violations, contest (Tianchi: score, machinesUsed, unplaced, violations by kind, totalViolations), rebalance (with --rebalance: seconds, moves, before: the online score)), targets[]

Tianchi runs are judged by the contest's rules (src/bench/contest-score.ts): the score is the mean over the 98 time points of the sum, over machines hosting anything, of 1 + 10 (e^max(0, u - 0.5) - 1), u the machine's cpu utilisation from each app's cpu curve (lower is better); violations by kind: cpu and memory at any point, disk, p, m, pm, interference rules.`;
  static override examples = [
    "<%= config.bin %> bench schedule",
    "<%= config.bin %> bench schedule --workload c1m --agents 5000 --groups 100 --replicas 500 --runs 1",
    "<%= config.bin %> bench schedule --workload tianchi --drivers place,resman --traces ../shared/traces",
    "<%= config.bin %> bench schedule --workload tianchi --drivers place --runs 1 --export placement.csv",
    "<%= config.bin %> bench schedule --workload tianchi --drivers place --runs 1 --score load --load-target 0.5",
    "<%= config.bin %> bench schedule --workload tianchi --drivers place --runs 1 --profiles",
    "<%= config.bin %> bench schedule --workload tianchi --drivers place --runs 1 --profiles --rebalance 60 --export placement.csv",
  ];
  static override flags = {
    workload: Flags.string({ description: "workloads to run: c1m, tianchi (comma list)", default: "c1m,tianchi" }),
    drivers: Flags.string({ description: `drivers: ${DRIVERS.join(", ")} (comma list)`, default: "place,resman,resman-batch" }),
    runs: Flags.integer({ description: "runs per driver (the figure is the median)", default: 3, min: 1 }),
    seed: Flags.integer({ description: "seed of the first run", default: 1 }),
    agents: Flags.integer({ description: "C1M: number of agents", default: 10_000, min: 1 }),
    "agent-shape": Flags.string({ description: "C1M: agent shapes CPU/MEMORY[/DISK], comma list taken in turn", default: "32/128G/1T" }),
    groups: Flags.integer({ description: "C1M: number of groups", default: 1000, min: 1 }),
    replicas: Flags.integer({ description: "C1M: replicas per group", default: 1000, min: 1 }),
    container: Flags.string({ description: "C1M: container shape CPU/MEMORY[/DISK]", default: "250m/1G" }),
    traces: Flags.string({ description: "traces folder (default <repo>/../shared/traces, then /work/shared/traces)" }),
    score: Flags.string({ description: "rank agents this way for every group: binpack, spread, load (default: the scheduler's default)", options: ["binpack", "spread", "load"] }),
    "load-target": Flags.string({ description: "the load score's cpu utilisation target of every agent, 0..1 (default: the scheduler's, 0.5)" }),
    profiles: Flags.boolean({ description: "Tianchi: each app's cpu and memory curves as its usage profile, checked at all 98 points instead of the peaks (place and batch drivers)" }),
    rebalance: Flags.integer({ description: "Tianchi: after each driver, run the rebalancer for this many seconds (off by default; the contest score is then the rebalanced one, ONLINE SCORE the driver's own)", min: 1 }),
    export: Flags.string({ description: "Tianchi: write the first driver's final placement to this file as contest CSV lines instance_id,machine_id" }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BenchSchedule);
    await runBench(async () => {
      const machine = machineInfo(); // before the run: its load average is the machine's, not ours
      const drivers = listFlag(flags.drivers, DRIVERS, "--drivers") as Driver[];
      const workloads = listFlag(flags.workload, ["c1m", "tianchi"] as const, "--workload");
      if (flags.rebalance && !workloads.includes("tianchi")) throw new InvalidError("--rebalance works on a Tianchi placement: add tianchi to --workload");
      if (flags.export && !workloads.includes("tianchi")) throw new InvalidError("--export writes a Tianchi placement: add tianchi to --workload");
      const { figures, notes } = runScheduleSuite({
        workloads, drivers, runs: flags.runs, seed: flags.seed, agents: flags.agents, groups: flags.groups, replicas: flags.replicas,
        agentShapes: flags["agent-shape"].split(",").map(parseShape), container: parseShape(flags.container), traces: flags.traces,
        exportFile: flags.export, log: benchLog, score: flags.score as ScoreKind | undefined, loadTarget: parseTarget(flags["load-target"]), profiles: flags.profiles,
        rebalanceSeconds: flags.rebalance,
      });
      const targets = scheduleTargets(figures);
      if (flags.json) return this.log(JSON.stringify({ machine, notes, figures, targets }, null, 2));
      this.log(scheduleTable(figures));
      this.log("");
      const contest = contestTable(figures);
      if (contest) this.log(`${contest}\n`);
      for (const n of notes) this.log(n);
      this.log("");
      this.log(targetsTable(targets));
    });
  }
}
