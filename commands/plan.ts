import { Flags } from "@oclif/core";
import { basename } from "node:path";
import { readJobText } from "../src/client/job-file.ts";
import { groupSpecFromJob } from "../src/rpc/group-spec.ts";
import { parseJobFile } from "../src/core/jobspec.ts";
import { renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, jsonFlag } from "./base.ts";

export default class Plan extends ClientCommand {
  static override description = `Dry run of a job file: ResMan's real scheduler on the live cluster says how many pods fit, where, and why others would not (agents counted per reason). Nothing is submitted or changed.

JSON fields: fit, wanted, placements [{agent, count}], reasons {reason: agents}, preempting, victims, lastError`;
  static override examples = ["<%= config.bin %> plan -f web.yaml", "<%= config.bin %> plan -f web.yaml --json"];
  static override flags = {
    file: Flags.string({ char: "f", description: "job file (YAML or JSON); - reads stdin", required: true }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Plan);
    this.connect(flags);
    const spec = parseJobFile(readJobText(flags.file), basename(flags.file));
    const group = groupSpecFromJob(spec, { id: spec.name, user: this.cfg.user });
    const r = await this.rm().call("ResMan/Plan", { group });
    if (flags.json) {
      this.printJson(r);
      if (r.fit < r.wanted) this.exit(1);
      return;
    }
    this.log(`${r.fit} of ${r.wanted} pods of ${spec.name} fit${r.preempting ? ` (${r.preempting} by preempting ${r.victims.length} less important container${r.victims.length === 1 ? "" : "s"})` : ""}`);
    if (r.placements.length) this.log(renderTable(["AGENT", "PODS"], r.placements.map((p) => [p.agent, String(p.count)]), { color: useColor() }));
    if (r.fit < r.wanted) {
      this.log(`${r.wanted - r.fit} would wait: ${r.lastError || "no agents"}`);
      this.exit(1); // exit 0 only when every pod fits now
    }
  }
}
