import { Command, Flags } from "@oclif/core";
import { runCliBench } from "../../src/bench/cli.ts";
import { format, table, targetsTable } from "../../src/bench/report.ts";
import { machineInfo } from "../../src/bench/stats.ts";
import { selfCommand } from "../../src/sys/self.ts";
import { jsonFlag } from "../base.ts";
import { benchLog, runBench } from "./common.ts";

export default class BenchCli extends Command {
  static override description = `Benchmark the client: wall time of \`galaxy jobs --json\` against a \`galaxy up\` cluster holding N jobs (replica 0), and of \`galaxy --help\` and \`galaxy version\` (startup alone); medians of several runs. Run it with the compiled executable (dist/galaxy) to time what users run.

JSON fields: machine, figures (jobs, submitSec, timings[]: command, runs, medianMs, minMs, maxMs), targets[]`;
  static override examples = ["dist/galaxy bench cli", "<%= config.bin %> bench cli --jobs 100 --runs 5"];
  static override flags = {
    jobs: Flags.integer({ description: "jobs to submit before timing", default: 1000, min: 0 }),
    runs: Flags.integer({ description: "timed runs per command", default: 10, min: 1 }),
    galaxy: Flags.string({ description: "galaxy executable to time (default: this one)" }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BenchCli);
    await runBench(async () => {
      const machine = machineInfo(); // before the run: its load average is the machine's, not ours
      const figures = await runCliBench({ galaxy: flags.galaxy ? [flags.galaxy] : selfCommand(), jobs: flags.jobs, runs: flags.runs, log: benchLog });
      const jobs = figures.timings.find((t) => t.command === "galaxy jobs --json")!;
      const targets = [{ name: `galaxy jobs --json, ${format(figures.jobs)} jobs`, goal: "< 100 ms", figure: `${format(jobs.medianMs)} ms (median)`, met: jobs.medianMs < 100, atScale: figures.jobs >= 1000 }];
      if (flags.json) return this.log(JSON.stringify({ machine, figures, targets }, null, 2));
      this.log(table(figures.timings, [
        { header: "COMMAND", value: (t) => t.command },
        { header: "JOBS", value: () => figures.jobs },
        { header: "RUNS", value: (t) => t.runs },
        { header: "MEDIAN MS", value: (t) => t.medianMs },
        { header: "MIN MS", value: (t) => t.minMs },
        { header: "MAX MS", value: (t) => t.maxMs },
      ]));
      this.log("");
      this.log(targetsTable(targets));
    });
  }
}
