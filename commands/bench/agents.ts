import { Command, Flags } from "@oclif/core";
import { resolve } from "node:path";
import { parseDuration } from "../../src/core/units.ts";
import { runFleetChild } from "../../src/bench/fleet-process.ts";
import { parseShape } from "../../src/bench/workload.ts";
import { runBench } from "./common.ts";

/** The simulated agents of `bench cluster` and `bench failover`, run as their child process (JSON lines on stdin/stdout). */
export default class BenchAgents extends Command {
  static override hidden = true;
  static override description = "Run simulated agents against a ResMan (used by the cluster and failover benchmarks).";
  static override flags = {
    resman: Flags.string({ description: "ResMan addresses HOST:PORT[,…]", required: true }),
    "cluster-dir": Flags.string({ description: "cluster directory (secret, leader file)", required: true }),
    count: Flags.integer({ description: "number of agents", default: 100, min: 1 }),
    shape: Flags.string({ description: "agent shape CPU/MEMORY[/DISK]", default: "32/128G/1T" }),
    fleet: Flags.integer({ description: "fleet number (distinguishes endpoints)", default: 0, min: 0 }),
    interval: Flags.string({ description: "heartbeat interval (0: as ResMan says)", default: "0ms" }),
    "heartbeat-only": Flags.boolean({ description: "no WatchCaps; new caps are reported at the next interval" }),
    "max-in-flight": Flags.integer({ description: "heartbeats in flight at most", default: 256, min: 1 }),
    "shared-pool": Flags.boolean({ description: "send through fetch's shared pool, not two connections per agent" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BenchAgents);
    await runBench(() => runFleetChild({
      resman: flags.resman.split(","), clusterDir: resolve(flags["cluster-dir"]), count: flags.count, shape: parseShape(flags.shape),
      fleet: flags.fleet, intervalMs: parseDuration(flags.interval), heartbeatOnly: flags["heartbeat-only"], maxInFlight: flags["max-in-flight"],
      sharedPool: flags["shared-pool"],
    }));
    process.exit(0);
  }
}
