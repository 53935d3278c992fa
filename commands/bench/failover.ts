import { Command, Flags } from "@oclif/core";
import { parseDuration } from "../../src/core/units.ts";
import { runFailoverBench } from "../../src/bench/failover.ts";
import { failoverTable, failoverTargets } from "../../src/bench/failover-report.ts";
import { targetsTable } from "../../src/bench/report.ts";
import { machineInfo } from "../../src/bench/stats.ts";
import { parseShape } from "../../src/bench/workload.ts";
import { selfCommand } from "../../src/sys/self.ts";
import { jsonFlag } from "../base.ts";
import { benchLog, runBench } from "./common.ts";

export default class BenchFailover extends Command {
  static override description = `Benchmark a ResMan failover: two ResMan processes on one cluster dir and data dir (with --etcd: on etcd, each with its own data dir), N simulated agents x C containers running; kill -9 the leader and time the standby until it knows every container and places again, counting caps revoked (must be 0).

JSON fields: machine, figures (backend, agents, containers, epochBefore, epochAfter, killToLockMs, lockToFirstAnswerMs, lockToFullKnowledgeMs, lockToRecoveryEndMs, lockToPlacedAgainMs, lockToSyncedMs, newGroupPlacedMs, revoked, agentsOnNewEpoch, standbyRssMiB, timeline: [ms after the lock, pending, agents reported]), targets[]`;
  static override examples = [
    "<%= config.bin %> bench failover",
    "<%= config.bin %> bench failover --agents 1000 --per-agent 10",
    "<%= config.bin %> bench failover --etcd",
    "<%= config.bin %> bench failover --etcd --etcd-endpoints http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.3:2379",
  ];
  static override flags = {
    agents: Flags.integer({ description: "simulated agents", default: 10_000, min: 1 }),
    "per-agent": Flags.integer({ description: "containers per agent", default: 10, min: 1 }),
    fleets: Flags.integer({ description: "child processes the agents are split over", default: 1, min: 1 }),
    "agent-shape": Flags.string({ description: "agent shape CPU/MEMORY[/DISK]", default: "32/128G/1T" }),
    "heartbeat-interval": Flags.string({ description: "ResMan's --heartbeat-interval", default: "1s" }),
    "recovery-window": Flags.string({ description: "ResMan's --recovery-window", default: "5s" }),
    "new-group": Flags.integer({ description: "replicas of the group created after the takeover", default: 100, min: 1 }),
    settle: Flags.string({ description: "wait after the new group is placed before counting revoked caps", default: "3s" }),
    "max-in-flight": Flags.integer({ description: "heartbeats in flight per fleet at most", default: 256, min: 1 }),
    "shared-pool": Flags.boolean({ description: "simulated agents send through fetch's process-wide keep-alive pool (64 idle sockets) instead of two connections each, as real agents have (for comparison: thousands of new connections a second)" }),
    "heartbeat-only": Flags.boolean({ description: "agents only heartbeat, with full reports (the protocol before WatchCaps and deltas, for comparison)" }),
    etcd: Flags.boolean({ description: "run the ResMans on etcd, each with its own data dir: a 3-member etcd on loopback started for the run (/usr/bin/etcd), unless --etcd-endpoints" }),
    "etcd-endpoints": Flags.string({ description: "with --etcd: a running etcd's endpoints URL[,URL...] instead (a fresh key prefix per run)", dependsOn: ["etcd"] }),
    galaxy: Flags.string({ description: "galaxy executable to run ResMan and the agents with (default: this one)" }),
    "resman-command": Flags.string({ description: "command that runs galaxy for ResMan alone, split on spaces (profiling)", hidden: true }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BenchFailover);
    await runBench(async () => {
      const machine = machineInfo(); // before the run: its load average is the machine's, not ours
      const figures = await runFailoverBench({
        galaxy: flags.galaxy ? [flags.galaxy] : selfCommand(), resmanCommand: flags["resman-command"]?.split(" ").filter(Boolean), agents: flags.agents, fleets: flags.fleets,
        shape: parseShape(flags["agent-shape"]), heartbeatIntervalMs: parseDuration(flags["heartbeat-interval"]),
        recoveryWindow: flags["recovery-window"], heartbeatOnly: flags["heartbeat-only"], maxInFlight: flags["max-in-flight"], sharedPool: flags["shared-pool"], standby: true, etcd: flags.etcd ? flags["etcd-endpoints"] ?? "local" : undefined, log: benchLog,
        perAgent: flags["per-agent"], groupSize: 1000, newGroupReplicas: flags["new-group"], settleSec: parseDuration(flags.settle) / 1000,
      });
      const targets = failoverTargets(figures);
      if (flags.json) return this.log(JSON.stringify({ machine, figures, targets }, null, 2));
      this.log(failoverTable(figures));
      this.log("");
      this.log(targetsTable(targets));
    });
  }
}
