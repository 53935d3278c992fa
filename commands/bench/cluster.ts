import { Command, Flags } from "@oclif/core";
import { parseDuration } from "../../src/core/units.ts";
import { clusterTables, clusterTargets } from "../../src/bench/cluster-report.ts";
import { runClusterBench } from "../../src/bench/cluster.ts";
import { targetsTable } from "../../src/bench/report.ts";
import { machineInfo } from "../../src/bench/stats.ts";
import { parseShape } from "../../src/bench/workload.ts";
import { selfCommand } from "../../src/sys/self.ts";
import { jsonFlag } from "../base.ts";
import { benchLog, runBench } from "./common.ts";

export default class BenchCluster extends Command {
  static override description = `Benchmark ResMan as a real process with N simulated agents heartbeating over HTTP (protobuf, full reports) from child processes: heartbeats/s handled and their latency, submit-to-placed and submit-to-confirmed-running of one group, and ResMan's RSS (optionally after filling the cluster with --containers).

JSON fields: machine, figures (agents, heartbeatIntervalMs, heartbeatOnly, idle, load[], submit, filled), targets[]`;
  static override examples = [
    "<%= config.bin %> bench cluster",
    "<%= config.bin %> bench cluster --agents 10000 --containers 1000000",
    "<%= config.bin %> bench cluster --agents 1000 --replicas 100 --measure 5s",
  ];
  static override flags = {
    agents: Flags.integer({ description: "simulated agents", default: 10_000, min: 1 }),
    fleets: Flags.integer({ description: "child processes the agents are split over", default: 1, min: 1 }),
    "agent-shape": Flags.string({ description: "agent shape CPU/MEMORY[/DISK]", default: "32/128G/1T" }),
    "heartbeat-interval": Flags.string({ description: "ResMan's --heartbeat-interval", default: "1s" }),
    replicas: Flags.integer({ description: "replicas of the submitted group", default: 1000, min: 1 }),
    container: Flags.string({ description: "container shape CPU/MEMORY[/DISK]", default: "250m/1G" }),
    containers: Flags.integer({ description: "fill the cluster to this many containers for the RSS phase (0: skip)", default: 0, min: 0 }),
    "fill-group": Flags.integer({ description: "replicas per group when filling", default: 1000, min: 1 }),
    "fill-interval": Flags.string({ description: "agents' heartbeat interval once filled (default: ResMan's)" }),
    "agent-timeout": Flags.string({ description: "ResMan's --agent-timeout (raise it with a long --fill-interval)" }),
    settle: Flags.string({ description: "time between all agents alive and the first window: past the start's transients (10,000 agents registering leave garbage whose first full collection, 25-30 s after start, pauses ResMan ~150 ms)", default: "30s" }),
    warmup: Flags.string({ description: "settle time before each later window (after a change of heartbeat interval)", default: "3s" }),
    measure: Flags.string({ description: "length of each measurement window", default: "10s" }),
    "load-intervals": Flags.string({ description: "extra windows with agents heartbeating this often (comma list; none: skip)", default: "800ms,500ms" }),
    "heartbeat-only": Flags.boolean({ description: "agents only heartbeat, with full reports: no WatchCaps, no deltas, new caps reported at the next interval (the protocol before both, for comparison)" }),
    "max-in-flight": Flags.integer({ description: "heartbeats in flight per fleet at most", default: 256, min: 1 }),
    "shared-pool": Flags.boolean({ description: "simulated agents send through fetch's process-wide keep-alive pool (64 idle sockets) instead of two connections each, as real agents have (for comparison: thousands of new connections a second)" }),
    galaxy: Flags.string({ description: "galaxy executable to run ResMan and the agents with (default: this one)" }),
    "resman-command": Flags.string({ description: "command that runs galaxy for ResMan alone, split on spaces (profiling)", hidden: true }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BenchCluster);
    await runBench(async () => {
      const machine = machineInfo(); // before the run: its load average is the machine's, not ours
      const figures = await runClusterBench({
        galaxy: flags.galaxy ? [flags.galaxy] : selfCommand(), resmanCommand: flags["resman-command"]?.split(" ").filter(Boolean), agents: flags.agents, fleets: flags.fleets,
        shape: parseShape(flags["agent-shape"]), heartbeatIntervalMs: parseDuration(flags["heartbeat-interval"]), recoveryWindow: "5s",
        heartbeatOnly: flags["heartbeat-only"], maxInFlight: flags["max-in-flight"], sharedPool: flags["shared-pool"], standby: false, log: benchLog,
        replicas: flags.replicas, container: parseShape(flags.container), warmupSec: parseDuration(flags.warmup) / 1000, settleSec: parseDuration(flags.settle) / 1000,
        measureSec: parseDuration(flags.measure) / 1000,
        loadIntervalsMs: flags["load-intervals"] === "none" ? [] : flags["load-intervals"].split(",").map(parseDuration), fill: flags.containers, fillGroupSize: flags["fill-group"],
        fillIntervalMs: flags["fill-interval"] ? parseDuration(flags["fill-interval"]) : 0, agentTimeout: flags["agent-timeout"],
      });
      const targets = clusterTargets(figures);
      if (flags.json) return this.log(JSON.stringify({ machine, figures, targets }, null, 2));
      this.log(clusterTables(figures));
      this.log("");
      this.log(targetsTable(targets));
    });
  }
}
