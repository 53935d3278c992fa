import { Args, Flags } from "@oclif/core";
import { ClientCommand, jsonFlag } from "../base.ts";

export default class UserAdd extends ClientCommand {
  static override description = `Create a user and print its token. The token is shown this once (ResMan keeps only a hash); give it to the user for \`galaxy login\`. A new user may do nothing until granted: galaxy grant NAME --pool P --allow submit,…

JSON fields: user {name, admin, createdAt}, token`;
  static override examples = ["<%= config.bin %> user add alice", "<%= config.bin %> user add ops --admin"];
  static override args = { name: Args.string({ description: "user name, [a-z][a-z0-9_-]*", required: true }) };
  static override flags = { admin: Flags.boolean({ description: "an administrator: may do anything in every pool" }), ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(UserAdd);
    this.connect(flags);
    const r = await this.rm().call("ResMan/AddUser", { name: args.name, admin: flags.admin });
    if (flags.json) return this.printJson(r);
    this.log(`user ${r.user.name} created${r.user.admin ? " (admin)" : ""}; token (shown only now):`);
    this.log(r.token);
  }
}
