// `galaxy label add|remove LABEL ENDPOINT…`: one class per verb, made here.
import { Args } from "@oclif/core";
import { InvalidError } from "../../src/core/errors.ts";
import { ClientCommand } from "../base.ts";

export function labelCommand(remove: boolean) {
  const verb = remove ? "remove" : "add";
  return class extends ClientCommand {
    static override description = remove
      ? "Remove a label from agents. Containers of jobs that require it move to agents that have it, a job's deploy step at a time."
      : "Add a label to agents (jobs that require it may then be placed there)";
    static override examples = [`<%= config.bin %> label ${verb} ssd 10.0.0.5:1646 10.0.0.6:1646`];
    static override strict = false;
    static override args = {
      label: Args.string({ description: "the label", required: true }),
      endpoint: Args.string({ description: "agent endpoints HOST:PORT (one or more)", required: true }),
    };

    async run(): Promise<void> {
      const { argv, flags } = await this.parse(this.constructor as typeof ClientCommand);
      this.connect(flags);
      const [label, ...endpoints] = argv as string[];
      if (!label || endpoints.length === 0) throw new InvalidError(`usage: galaxy label ${verb} LABEL ENDPOINT…`);
      const { labels } = await this.rm().call("ResMan/Label", { label, endpoints, remove });
      const now = labels.find((l) => l.label === label)?.endpoints ?? [];
      this.log(`label ${label} ${remove ? "removed from" : "added to"} ${endpoints.join(", ")}; now on ${now.length} agent${now.length === 1 ? "" : "s"}`);
    }
  };
}
