import { Args } from "@oclif/core";
import { ClientCommand } from "../base.ts";

export default class AgentRemove extends ClientCommand {
  static override description = `Forget an agent. A live agent must be empty (drain it first); a dead one's containers are placed elsewhere. An agent that heartbeats again registers anew in the pool it names.`;
  static override examples = ["<%= config.bin %> agent remove 10.0.0.5:1646"];
  static override args = { endpoint: Args.string({ description: "agent endpoint HOST:PORT (or a unique prefix)", required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AgentRemove);
    this.connect(flags);
    await this.rm().call("ResMan/RemoveAgent", { endpoint: args.endpoint, pool: "" });
    this.log(`agent ${args.endpoint} removed`);
  }
}
