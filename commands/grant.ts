import { Args, Flags } from "@oclif/core";
import { ClientCommand, jsonFlag } from "./base.ts";

export default class Grant extends ClientCommand {
  static override description = `Grant (or with --revoke take back) a user's permissions in a pool: submit, update, remove, list, admin

admin in a pool also lets the user take its agents offline, drain them and label them.
JSON fields: the user's grants [{user, pool, allow}]`;
  static override examples = [
    "<%= config.bin %> grant alice --pool default --allow submit,update,remove,list",
    "<%= config.bin %> grant alice --pool default --allow remove --revoke",
  ];
  static override args = { user: Args.string({ description: "user name", required: true }) };
  static override flags = {
    pool: Flags.string({ description: "the pool", required: true }),
    allow: Flags.string({ description: "comma-separated: submit,update,remove,list,admin", required: true }),
    revoke: Flags.boolean({ description: "take these permissions back" }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Grant);
    this.connect(flags);
    const allow = flags.allow.split(",").map((s) => s.trim()).filter(Boolean);
    const { grants } = await this.rm().call("ResMan/SetGrant", { grant: { user: args.user, pool: flags.pool, allow }, revoke: flags.revoke });
    if (flags.json) return this.printJson(grants);
    if (grants.length === 0) return this.log(`user ${args.user} has no grants`);
    for (const g of grants) this.log(`${g.user} in ${g.pool}: ${g.allow.join(", ")}`);
  }
}
