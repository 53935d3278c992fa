import { Args } from "@oclif/core";
import { InvalidError } from "../src/core/errors.ts";
import { ClientCommand, jsonFlag } from "./base.ts";

export default class Scale extends ClientCommand {
  static override description = `Change a job's replica count; running pods are not touched (extra ones are stopped, new ones deploy step by step)

JSON fields: id, state, replica, running, pending, warnings`;
  static override examples = ["<%= config.bin %> scale web 5", "<%= config.bin %> scale web-20261121 0"];
  static override args = {
    job: Args.string({ description: "job id, unique id prefix, or name", required: true }),
    replica: Args.string({ description: "the new number of pods", required: true }),
  };
  static override flags = { ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Scale);
    const replica = Number(args.replica);
    if (!/^\d+$/.test(args.replica) || replica > 100_000) throw new InvalidError(`replica ${JSON.stringify(args.replica)} is not a number from 0 to 100000`);
    this.connect(flags);
    const job = await this.am().call("AppMaster/ScaleJob", { id: args.job, replica });
    for (const w of job.warnings) process.stderr.write(`Warning: ${w}\n`);
    if (flags.json) return this.printJson({ id: job.id, state: job.state, replica: job.replica, running: job.running, pending: job.pending, warnings: job.warnings });
    this.log(`${job.id} scaled to ${job.replica} pods`);
  }
}
