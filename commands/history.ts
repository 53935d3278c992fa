import { Args } from "@oclif/core";
import { formatAgo } from "../src/core/units.ts";
import { renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, listFlags } from "./base.ts";

export default class History extends ClientCommand {
  static override description = `List a job's versions: number, when, who, what changed (the current one is marked *)

Return to one with \`galaxy update JOB --rollback --to N\`. The last 20 versions are kept.
JSON fields: version, at, user, change, current, spec`;
  static override examples = ["<%= config.bin %> history web", "<%= config.bin %> history web -o json"];
  static override args = { job: Args.string({ description: "job id, unique id prefix, or name", required: true }) };
  static override flags = { ...listFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(History);
    this.connect(flags);
    const r = await this.am().call("AppMaster/JobHistory", { id: args.job });
    const rows = r.versions.map(({ specJson, ...v }) => ({ ...v, current: v.version === r.current, spec: JSON.parse(specJson || "{}") }));
    if (flags.json) return this.printJson(rows);
    const now = Date.now();
    const table = rows.map((v) => [`${v.current ? "*" : " "}${v.version}`, formatAgo(v.at, now), v.user || "-", v.change]);
    this.log(renderTable(["VERSION", "WHEN", "WHO", "CHANGE"], table, { color: useColor() }));
  }
}
