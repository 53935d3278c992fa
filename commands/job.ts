import { Args } from "@oclif/core";
import { formatDuration, formatSize } from "../src/core/units.ts";
import { colorStatus, renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, jsonFlag } from "./base.ts";

export default class JobShow extends ClientCommand {
  static override description = `Show one job: its description, deploy state and pods

JSON fields: job {id, name, jobType, user, state, version, replica, running, pending, …, spec}, pods [...]`;
  static override examples = ["<%= config.bin %> job web", "<%= config.bin %> job web-20261121 --json"];
  static override args = { job: Args.string({ description: "job id, unique id prefix, or name", required: true }) };
  static override flags = { ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(JobShow);
    this.connect(flags);
    const r = await this.am().call("AppMaster/ShowJob", { id: args.job });
    const { specJson, prevSpecJson, ...job } = r.job;
    const spec = JSON.parse(specJson || "{}");
    if (flags.json) return this.printJson({ job: { ...job, spec }, pods: r.pods, services: r.services });
    const color = useColor();
    this.log(`Job ${job.id}  (${job.jobType}, user ${job.user})`);
    this.log(`  status     ${colorStatus(job.state, color)}  version ${job.version}`);
    this.log(`  pods       ${job.running} running, ${job.pending} pending, ${job.deploying} deploying, ${job.failed} failed, ${job.finished} finished of ${job.replica}`);
    this.log(`  resources  ${job.resources.millicores}m cpu, ${formatSize(job.resources.memory)} memory per pod`);
    this.log(`  deploy     step ${spec.deploy?.step}, pools ${spec.deploy?.pools?.join(",")}, stop timeout ${formatDuration(spec.deploy?.stopTimeout ?? 0)}`);
    if (r.pods.length) {
      this.log("");
      const rows = r.pods.map((p) => [p.id, p.agent || "-", colorStatus(p.state, color), String(p.restarts), p.ports.map((x) => `${x.name}:${x.port}`).join(",") || "-", p.lastError || "-"]);
      this.log(renderTable(["POD", "AGENT", "STATUS", "RESTARTS", "PORTS", "LAST ERROR"], rows, { color }));
    }
  }
}
