import { basename } from "node:path";
import { readJobText } from "../src/client/job-file.ts";
import { groupSpecFromJob } from "../src/rpc/group-spec.ts";
import { parseJobFile } from "../src/core/jobspec.ts";
import { renderTable, useColor } from "../src/client/table.ts";
import { jobFileFlag } from "./flags.ts";
import { ClientCommand, jsonFlag } from "./base.ts";

export default class Plan extends ClientCommand {
  static override description = `Dry run of a job file: ResMan's real scheduler on the live cluster says how many pods fit, where, and why others would not (agents counted per reason). Nothing is submitted or changed.
When you have a job of the file's name, plan first prints what \`galaxy apply\` would change: a diff of the
description and what each pod would get (rebuild/reload in place, recreate, new, remove, unchanged).

Disk and ssd volumes are placed per device: the table names the device each volume would take on each agent.

JSON fields: fit, wanted, placements [{agent, count, devices}], reasons {reason: agents}, preempting, victims, lastError,
update {job, change, diff, pods [{pod, action}]} (an existing job)`;
  static override examples = ["<%= config.bin %> plan -f web.yaml", "<%= config.bin %> plan -f web.yaml --json"];
  static override flags = {
    file: jobFileFlag(),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Plan);
    this.connect(flags);
    const text = readJobText(flags.file);
    const spec = parseJobFile(text, basename(flags.file));
    const update = await this.preview(text, flags.file, spec.name);
    if (update && !flags.json) this.printUpdate(update);
    const group = groupSpecFromJob(spec, { id: spec.name, user: this.cfg.user });
    const r = await this.rm().call("ResMan/Plan", { group });
    if (flags.json) {
      this.printJson({ ...r, update });
      if (r.fit < r.wanted) this.exit(1);
      return;
    }
    this.log(`${r.fit} of ${r.wanted} pods of ${spec.name} fit${r.preempting ? ` (${r.preempting} by preempting ${r.victims.length} less important container${r.victims.length === 1 ? "" : "s"})` : ""}`);
    if (r.placements.length) {
      const devices = r.placements.some((p) => p.devices.length > 0);
      const rows = r.placements.map((p) => [p.agent, String(p.count), ...(devices ? [p.devices.join(", ") || "-"] : [])]);
      this.log(renderTable(["AGENT", "PODS", ...(devices ? ["DEVICES"] : [])], rows, { color: useColor() }));
    }
    if (r.fit < r.wanted) {
      this.log(`${r.wanted - r.fit} would wait: ${r.lastError || "no agents"}`);
      this.exit(1); // exit 0 only when every pod fits now
    }
  }

  /** What apply would change in the caller's job of this name (none: a new job, nothing to compare). */
  private async preview(text: string, file: string, name: string) {
    const { jobs } = await this.am().call("AppMaster/ListJobs", { brief: true, user: this.cfg.user });
    if (!jobs.some((j) => j.name === name && j.state !== "destroying")) return undefined;
    const a = await this.am().call("AppMaster/SubmitJob", { spec: { text, filename: basename(file), format: "" }, dryRun: true, apply: true });
    return a.action === "created" ? undefined : { job: a.job.id, change: a.change, diff: a.diff, pods: a.pods };
  }

  private printUpdate(u: { job: string; change: string; diff: string[]; pods: { pod: string; action: string }[] }): void {
    if (u.change === "none") return this.log(`${u.job}: unchanged (the description is the same)\n`);
    this.log(`${u.job}: ${u.change}${u.change === "recreate" ? " (new containers, step at a time)" : u.change === "rebuild" || u.change === "reload" ? " in place" : " (no pod touched)"}`);
    for (const l of u.diff) this.log(`  ${l}`);
    this.log(renderTable(["POD", "WOULD GET"], u.pods.map((p) => [p.pod, p.action]), { color: useColor() }));
    this.log("");
  }
}
