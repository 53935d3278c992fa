import { Args } from "@oclif/core";
import { ClientCommand, jsonFlag } from "../base.ts";
import { agentJson } from "../../src/client/resources.ts";

export default class AgentPool extends ClientCommand {
  static override description = `Move an agent to another pool. Containers of jobs that do not use the new pool move away, a job's deploy step at a time.

JSON fields: the agent as in \`galaxy agents --json\``;
  static override examples = ["<%= config.bin %> agent pool 10.0.0.5:1646 gpu"];
  static override args = {
    endpoint: Args.string({ description: "agent endpoint HOST:PORT (or a unique prefix)", required: true }),
    pool: Args.string({ description: "the pool to move it to (must exist: galaxy pool add)", required: true }),
  };
  static override flags = { ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AgentPool);
    this.connect(flags);
    const r = await this.rm().call("ResMan/SetAgentPool", { endpoint: args.endpoint, pool: args.pool });
    if (flags.json) return this.printJson(agentJson(r.agent));
    this.log(`agent ${r.agent.info.endpoint} is in pool ${r.agent.info.pool}`);
  }
}
