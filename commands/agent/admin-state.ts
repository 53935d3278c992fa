// `galaxy agent offline|online|drain`: one class per verb, made here (they differ in the RPC and the words only).
import { Args } from "@oclif/core";
import { ClientCommand, jsonFlag } from "../base.ts";
import { agentJson } from "../../src/client/resources.ts";

type Method = "ResMan/OfflineAgent" | "ResMan/OnlineAgent" | "ResMan/DrainAgent";

export function agentStateCommand(verb: string, method: Method, what: string, description: string) {
  return class extends ClientCommand {
    static override description = `${description}

JSON fields: the agent as in \`galaxy agents --json\``;
    static override examples = [`<%= config.bin %> agent ${verb} 10.0.0.5:1646`];
    static override args = { endpoint: Args.string({ description: "agent endpoint HOST:PORT (or a unique prefix)", required: true }) };
    static override flags = { ...jsonFlag };

    async run(): Promise<void> {
      const { args, flags } = await this.parse(this.constructor as typeof ClientCommand & { args: { endpoint: ReturnType<typeof Args.string> } });
      this.connect(flags);
      const r = await this.rm().call(method, { endpoint: String(args.endpoint), pool: "" });
      if (flags.json) return this.printJson(agentJson(r.agent));
      this.log(`agent ${r.agent.info.endpoint} ${what} (${r.agent.containers} containers on it)`);
    }
  };
}
