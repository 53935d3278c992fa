import { Args } from "@oclif/core";
import { ClientCommand } from "../base.ts";

export default class PoolAdd extends ClientCommand {
  static override description = "Create a pool. Agents join it with `galaxy agent --pool NAME` or `galaxy agent pool ENDPOINT NAME`; users need a grant on it (galaxy grant).";
  static override examples = ["<%= config.bin %> pool add gpu"];
  static override args = { pool: Args.string({ description: "pool name, [a-z0-9][a-z0-9_-]*", required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PoolAdd);
    this.connect(flags);
    await this.rm().call("ResMan/AddPool", { name: args.pool });
    this.log(`pool ${args.pool} created`);
  }
}
