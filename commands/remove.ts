import { Args } from "@oclif/core";
import { ClientCommand, jsonFlag } from "./base.ts";

export default class Remove extends ClientCommand {
  static override description = "Stop and remove a job: its pods get their stop command, then their containers are released";
  static override examples = ["<%= config.bin %> remove web", "<%= config.bin %> remove web-20261121-1432-7f3a"];
  static override args = { job: Args.string({ description: "job id, unique id prefix, or name", required: true }) };
  static override flags = { ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Remove);
    this.connect(flags);
    const job = await this.am().call("AppMaster/RemoveJob", { id: args.job });
    if (flags.json) return this.printJson({ id: job.id, state: job.state });
    this.log(`${job.id} removing`);
  }
}
