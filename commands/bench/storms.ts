import { Command, Flags } from "@oclif/core";
import { runStorm } from "../../src/sim/storms.ts";
import { jsonFlag } from "../base.ts";

export default class BenchStorms extends Command {
  static override description = `Run many seeded failure storms on the deterministic simulation (the real ResMan and AppMaster cores, simulated agents and workers): rounds of random ResMan/AppMaster/agent failovers and timeouts, then the checks of fuxi-scenarios.md (online containers never stopped or restarted, convergence with no leak or double count). The test suite runs 40 seeds; this is the nightly-style run.

JSON fields: seeds, rounds, violations [{seed, violation}], simulatedHours, wallSec`;
  static override examples = ["<%= config.bin %> bench storms", "<%= config.bin %> bench storms --seeds 5000 --from 1000 --json"];
  static override flags = {
    seeds: Flags.integer({ description: "how many seeds", default: 1000, min: 1 }),
    from: Flags.integer({ description: "first seed", default: 1 }),
    rounds: Flags.integer({ description: "failure rounds per storm", default: 6, min: 1 }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BenchStorms);
    const t0 = performance.now();
    const violations: { seed: number; violation: string }[] = [];
    let simulated = 0;
    for (let seed = flags.from; seed < flags.from + flags.seeds; seed++) {
      const r = runStorm(seed, flags.rounds);
      simulated += r.simulatedMs;
      if (r.violation) violations.push({ seed, violation: r.violation });
      if (!flags.json && (seed - flags.from + 1) % 100 === 0) process.stderr.write(`${seed - flags.from + 1}/${flags.seeds} storms, ${violations.length} violations\n`);
    }
    const out = { seeds: flags.seeds, rounds: flags.rounds, violations, simulatedHours: +(simulated / 3_600_000).toFixed(2), wallSec: +((performance.now() - t0) / 1000).toFixed(1) };
    if (flags.json) this.log(JSON.stringify(out, null, 2));
    else {
      this.log(`${out.seeds} storms (${out.rounds} rounds each, ${out.simulatedHours} simulated hours) in ${out.wallSec} s: ${violations.length} violations`);
      for (const v of violations.slice(0, 20)) this.log(`  seed ${v.seed}: ${v.violation}`);
    }
    if (violations.length) this.exit(1);
  }
}
