import { Args, Flags } from "@oclif/core";
import { jobSpecToYaml, type JobSpec } from "../src/core/jobspec.ts";
import { formatAgo, formatDuration, formatSize } from "../src/core/units.ts";
import { describeUpdate, statusOf } from "../src/client/progress.ts";
import { colorStatus, renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, jsonFlag } from "./base.ts";

export default class JobShow extends ClientCommand {
  static override description = `Show one job: its description, deploy state, update progress, pods and services

JSON fields: job {id, name, jobType, user, state (lifecycle), status (from its pods now), healthy, version, replica, running, pending, …, update, blacklist, spec}, pods [...], services [...]`;
  static override examples = ["<%= config.bin %> job web", "<%= config.bin %> job web-20261121 --json", "<%= config.bin %> job web -o yaml > web.yaml"];
  static override args = { job: Args.string({ description: "job id, unique id prefix, or name", required: true }) };
  static override flags = {
    ...jsonFlag,
    output: Flags.string({ char: "o", description: "yaml: print the job's description as a file that submits again", options: ["yaml"] }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(JobShow);
    this.connect(flags);
    const r = await this.am().call("AppMaster/ShowJob", { id: args.job });
    const { specJson, prevSpecJson, warnings, ...job } = r.job;
    const spec = JSON.parse(specJson || "{}");
    if (flags.output === "yaml") return void process.stdout.write(jobSpecToYaml(spec as JobSpec));
    if (flags.json) return this.printJson({ job: { ...job, spec }, pods: r.pods, services: r.services });
    const color = useColor();
    const now = Date.now();
    this.log(`Job ${job.id}  (${job.jobType}, user ${job.user})`);
    const state = statusOf(job) === job.state ? "" : `  (${job.state})`;
    this.log(`  status     ${colorStatus(statusOf(job), color)}${state}  version ${job.version}${job.message ? `  (${job.message})` : ""}`);
    if (job.state === "finished") this.log(`  finished   ${formatAgo(job.finishedAt, now)}: ${job.finished} pods succeeded, ${job.failed} failed`);
    else this.log(`  pods       ${job.healthy} healthy of ${job.replica}: ${job.running} running, ${job.pending} pending, ${job.deploying} deploying, ${job.dead} lost or stopped, ${job.failed} failed, ${job.finished} finished`);
    this.log(`  resources  ${job.resources.millicores}m cpu, ${formatSize(job.resources.memory)} memory per pod`);
    this.log(`  deploy     step ${spec.deploy?.step}, interval ${formatDuration(spec.deploy?.interval ?? 0)}, pools ${spec.deploy?.pools?.join(",")}, deploy timeout ${formatDuration(spec.deploy?.deployTimeout ?? 0)}, stop timeout ${formatDuration(spec.deploy?.stopTimeout ?? 0)}`);
    const update = describeUpdate(r.job);
    if (update) this.log(`  update     ${update}`);
    for (const b of job.blacklist) this.log(`  blacklist  ${b.agent} until ${formatAgo(now, b.until).replace(" ago", "")} from now: ${b.reason}`);
    if (r.pods.length) {
      this.log("");
      const rows = r.pods.map((p) => [p.id, p.agent || "-", colorStatus(p.state, color), String(p.version || "-"), String(p.restarts), p.ports.map((x) => `${x.name}:${x.port}`).join(",") || "-", p.lastError || "-"]);
      this.log(renderTable(["POD", "AGENT", "STATUS", "VERSION", "RESTARTS", "PORTS", "LAST ERROR"], rows, { color }));
    }
    if (r.services.length) {
      this.log("");
      this.log(renderTable(["POD", "SERVICE", "ADDRESS", "STATUS"], r.services.map((s) => [s.pod, s.service, s.address || "-", s.status]), { color }));
    }
  }
}
