import { Args } from "@oclif/core";
import { ClientCommand, jsonFlag } from "./base.ts";

export default class Preempt extends ClientCommand {
  static override description = `Place a pending container of GROUP on one agent, evicting less important containers there (admin)

Only strictly less important containers are evicted (monitor > service > batch > best-effort), the fewest that make
room. Evicted batch and best-effort containers go back to pending; evicted services are AppMaster's to replace.
JSON fields: container, victims`;
  static override examples = ["<%= config.bin %> preempt web-2026 10.0.0.5:1646"];
  static override args = {
    group: Args.string({ description: "group (job) id or unique prefix", required: true }),
    endpoint: Args.string({ description: "agent endpoint HOST:PORT (or a unique prefix)", required: true }),
  };
  static override flags = { ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Preempt);
    this.connect(flags);
    const r = await this.rm().call("ResMan/Preempt", { group: args.group, endpoint: args.endpoint });
    if (flags.json) return this.printJson(r);
    this.log(`${r.container} placed on ${args.endpoint}${r.victims.length ? `; preempted ${r.victims.join(", ")}` : " (it fit without preempting)"}`);
  }
}
