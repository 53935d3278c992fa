import { Args } from "@oclif/core";
import { ClientCommand } from "../base.ts";

export default class UserRemove extends ClientCommand {
  static override description = "Remove a user, its grants and its quota (its jobs keep running)";
  static override examples = ["<%= config.bin %> user remove alice"];
  static override args = { name: Args.string({ description: "user name", required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(UserRemove);
    this.connect(flags);
    await this.rm().call("ResMan/RemoveUser", { name: args.name, admin: false });
    this.log(`user ${args.name} removed`);
  }
}
