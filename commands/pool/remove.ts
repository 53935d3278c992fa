import { Args } from "@oclif/core";
import { ClientCommand } from "../base.ts";

export default class PoolRemove extends ClientCommand {
  static override description = "Remove an empty pool (move its agents first with `galaxy agent pool`)";
  static override examples = ["<%= config.bin %> pool remove gpu"];
  static override args = { pool: Args.string({ description: "pool name", required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PoolRemove);
    this.connect(flags);
    await this.rm().call("ResMan/RemovePool", { name: args.pool });
    this.log(`pool ${args.pool} removed`);
  }
}
