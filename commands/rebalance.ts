import { Flags } from "@oclif/core";
import { formatDuration } from "../src/core/units.ts";
import { InvalidError } from "../src/core/errors.ts";
import { renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, jsonFlag } from "./base.ts";
import { durationFlag } from "./flags.ts";

const MAX_TIME_MS = 60_000;

export default class Rebalance extends ClientCommand {
  static override description = `Move running services to lower the cluster's load cost (admin)

The rebalancer searches, for --time, for moves of running services and monitors that lower the load cost every agent
pays (the load score: 1 per agent in use, plus a convex cost above its cpu utilisation target), keeping every rule
the scheduler keeps: capacity, pools, labels, blacklists, max_per_host and anti-affinity. Batch containers, containers
holding a device, and containers on draining or offline agents stay where they are.

--plan only shows the moves. Without it the moves are applied like a drain's: each container is marked, and
AppMaster moves it within its job's disruption budget (a deploy step at a time, make-before-break: the old copy
stops once the new one runs healthy on the chosen agent, or elsewhere if that agent no longer takes it).
Off by default: nothing moves unless you run this command.
JSON fields: costBefore, costAfter, agentsBefore, agentsAfter, moves[] (container, group, from, to), movable, placed, marked, seconds`;
  static override examples = [
    "<%= config.bin %> rebalance --plan",
    "<%= config.bin %> rebalance --time 10s --max-moves 50",
    "<%= config.bin %> rebalance --plan --json",
  ];
  static override flags = {
    plan: Flags.boolean({ description: "only show the moves; change nothing" }),
    time: durationFlag({ description: "how long to search (at most 60s)", default: 2_000, defaultHelp: async () => "2s" }),
    "max-moves": Flags.integer({ description: "at most this many moves", default: 20, min: 1, max: 10_000 }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Rebalance);
    const budgetMs = flags.time;
    if (budgetMs <= 0 || budgetMs > MAX_TIME_MS) throw new InvalidError(`--time ${formatDuration(budgetMs)}: want a duration above 0 and at most 60s`);
    this.connect(flags);
    if (!flags.json && process.stderr.isTTY) process.stderr.write(`searching for ${formatDuration(budgetMs)}...\n`);
    const r = await this.rm().call("ResMan/Rebalance", { apply: !flags.plan, budgetMs, maxMoves: flags["max-moves"] }, { timeoutMs: budgetMs + 30_000 });
    if (flags.json) return this.printJson(r);
    const saved = r.costBefore - r.costAfter;
    this.log(`load cost ${r.costBefore.toFixed(2)} -> ${r.costAfter.toFixed(2)} (${saved > 0 ? `-${saved.toFixed(2)}` : "no better placement found"}), agents in use ${r.agentsBefore} -> ${r.agentsAfter}; ${r.movable} of ${r.placed} containers could move`);
    if (r.moves.length === 0) return this.log("Nothing to move.");
    this.log(renderTable(["CONTAINER", "JOB", "FROM", "TO"], r.moves.map((m) => [m.container, m.group, m.from, m.to]), { color: useColor() }));
    if (flags.plan) return this.log(`${r.moves.length} moves planned; run without --plan to apply them.`);
    this.log(`${r.marked} of ${r.moves.length} containers marked to move; AppMaster moves them a deploy step at a time, make-before-break (watch: galaxy agent show AGENT, galaxy events JOB).`);
  }
}
