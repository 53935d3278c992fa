import { Flags } from "@oclif/core";
import { basename } from "node:path";
import { GalaxyError } from "../src/core/errors.ts";
import { readJobText } from "../src/client/job-file.ts";
import { watchJob } from "../src/client/watch.ts";
import { ClientCommand, jsonFlag } from "./base.ts";
import { durationFlag, jobFileFlag } from "./flags.ts";

export default class Apply extends ClientCommand {
  static override description = `Make the cluster run this job file: create the job, or update your job of that name in place

Job names are unique per user: apply finds your job by the file's name. The same file twice changes nothing
("unchanged"); a changed file starts the same update as \`update JOB -f FILE\` (see \`galaxy update --help\`).
JSON fields: action (created | updated | unchanged), job {id, name, state, version, …}, change, diff, pods [{pod, action}], warnings`;
  static override examples = [
    "<%= config.bin %> apply -f web.yaml",
    "<%= config.bin %> apply -f web.yaml --watch",
    "<%= config.bin %> apply -f web.yaml --json",
  ];
  static override flags = {
    file: jobFileFlag(),
    watch: Flags.boolean({ char: "w", description: "show progress until every pod runs the description (or the update pauses)" }),
    timeout: durationFlag({ description: "with --watch: give up after this long", default: 30 * 60_000, defaultHelp: async () => "30m" }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Apply);
    this.connect(flags);
    const text = readJobText(flags.file);
    const r = await this.am().call("AppMaster/SubmitJob", { spec: { text, filename: basename(flags.file), format: "" }, apply: true });
    for (const w of r.warnings) if (!w.startsWith("nothing changed")) process.stderr.write(`Warning: ${w}\n`);
    const { specJson, prevSpecJson, ...job } = r.job;
    if (flags.json) this.printJson({ action: r.action, job, change: r.change, diff: r.diff, pods: r.pods, warnings: r.warnings });
    else this.log(`${job.id} ${r.action}${r.action === "updated" ? ` (${r.change}; version ${job.version})` : ""}`);
    if (!flags.watch || r.action === "unchanged") return;
    const mode = r.action === "created" ? "deploy" : "update";
    const w = await watchJob(this.am(), job.id, mode, {
      deadlineMs: flags.timeout, tty: !!process.stderr.isTTY && !flags.json, write: (s) => void (flags.json ? undefined : process.stderr.write(s)),
    });
    if (!w.ok) throw new GalaxyError("UNAVAILABLE", `${job.id}: ${w.reason}`);
  }
}
