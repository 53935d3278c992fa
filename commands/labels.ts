import { renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, listFlags } from "./base.ts";

export default class Labels extends ClientCommand {
  static override description = `List labels and the agents that carry them

JSON fields: label, endpoints`;
  static override examples = ["<%= config.bin %> labels", "<%= config.bin %> labels --json"];
  static override flags = { ...listFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(Labels);
    this.connect(flags);
    const { labels } = await this.rm().call("ResMan/ListLabels", {});
    if (flags.json) return this.printJson(labels);
    if (labels.length === 0) return this.log("No labels.");
    this.log(renderTable(["LABEL", "AGENTS", "ENDPOINTS"], labels.map((l) => [l.label, String(l.endpoints.length), l.endpoints.join(", ")]), { color: useColor() }));
  }
}
