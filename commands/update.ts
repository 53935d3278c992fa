import { Args, Flags } from "@oclif/core";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { GalaxyError, InvalidError } from "../src/core/errors.ts";
import { describeUpdate } from "../src/client/progress.ts";
import type { Job } from "../src/rpc/types.ts";
import { watchJob } from "../src/client/watch.ts";
import { durationFlag } from "./flags.ts";
import { ClientCommand, jsonFlag } from "./base.ts";

const ACTIONS = ["pause", "continue", "rollback", "cancel"] as const;

export default class Update extends ClientCommand {
  static override description = `Update a job to a new description, or change the update in progress

Only the replica changed: scale, no pod is touched. A package version, a command or data packages changed: pods are
rebuilt or reloaded in place, deploy.step at a time. Resources changed: containers are recreated, step at a time.
An update pauses after --break N pods (default deploy.update_break); --continue [--break N] goes on, --rollback returns
to the previous description (also in place), --rollback --to N to version N (see \`galaxy history JOB\`), --cancel
stops where it is. --watch alone attaches to the update in progress.

JSON fields: the job (id, state, version, update {kind, fromVersion, toVersion, updated, total, breakAt, step, state}, warnings)`;
  static override examples = [
    "<%= config.bin %> update web -f web-v2.yaml --watch",
    "<%= config.bin %> update web -f web-v2.yaml --break 2",
    "<%= config.bin %> update web --continue --break 1",
    "<%= config.bin %> update web --rollback --watch",
    "<%= config.bin %> update web --rollback --to 1",
    "<%= config.bin %> update web --watch",
    "<%= config.bin %> update web --pause",
  ];
  static override args = { job: Args.string({ description: "job id, unique id prefix, or name", required: true }) };
  static override flags = {
    file: Flags.string({ char: "f", description: "the new job file (YAML or JSON); - reads stdin", exclusive: [...ACTIONS] }),
    break: Flags.integer({ description: "pause after this many pods are updated (0: never)", min: 0 }),
    timeout: durationFlag({ description: "with --watch: give up after this long", default: 30 * 60_000, defaultHelp: async () => "30m" }),
    watch: Flags.boolean({ char: "w", description: "show progress until the update is done or paused" }),
    pause: Flags.boolean({ description: "pause the update in progress", exclusive: ["continue", "rollback", "cancel"] }),
    continue: Flags.boolean({ description: "continue a paused update", exclusive: ["pause", "rollback", "cancel"] }),
    rollback: Flags.boolean({ description: "return to the previous description (or --to N), in place", exclusive: ["pause", "continue", "cancel"] }),
    to: Flags.integer({ description: "with --rollback: the version to return to (galaxy history JOB)", min: 1, dependsOn: ["rollback"] }),
    cancel: Flags.boolean({ description: "stop the update; updated pods keep the new version", exclusive: ["pause", "continue", "rollback"] }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Update);
    const deadlineMs = flags.timeout; // parsed (and refused) by oclif before any request
    this.connect(flags);
    const action = ACTIONS.find((a) => flags[a]) ?? "";
    if (!action && !flags.file && flags.watch) return this.attach(args.job, flags.json, deadlineMs);
    if (!action && !flags.file) throw new InvalidError("give -f FILE with the new description, one of --pause, --continue, --rollback, --cancel, or --watch to follow the update in progress");
    const spec = flags.file ? { text: readJob(flags.file), filename: basename(flags.file), format: "" } : undefined;
    const job = await this.am().call("AppMaster/UpdateJob", { id: args.job, spec, action, breakAfter: flags.break ?? 0, toVersion: flags.to ?? 0 });
    for (const w of job.warnings) process.stderr.write(`Warning: ${w}\n`);
    if (flags.json && !flags.watch) return this.printJson(strip(job));
    if (!flags.json) this.log(summary(job, action));
    if (flags.watch) await this.watch(job.id, flags.json, deadlineMs);
  }

  /** update JOB --watch alone: follows the update in progress, or says there is none (exit 0). */
  private async attach(ref: string, json: boolean, deadlineMs: number): Promise<void> {
    const { job } = await this.am().call("AppMaster/ShowJob", { id: ref });
    if (job.state === "updating" || job.state === "update_paused") return this.watch(job.id, json, deadlineMs);
    if (json) return this.printJson({ ...strip(job), ok: true, reason: "no update in progress" });
    this.log(`${job.id}: no update in progress; version ${job.version}${describeUpdate(job) ? ` (last: ${describeUpdate(job)})` : ""}`);
  }

  /** Live progress until the update is done or pauses; exit 1 when it stopped on a failure or timed out. */
  private async watch(id: string, json: boolean, deadlineMs: number): Promise<void> {
    const w = await watchJob(this.am(), id, "update", {
      deadlineMs, tty: !!process.stdout.isTTY && !json, describe: (j) => `${j.state}: ${describeUpdate(j) || j.message}`,
      write: (s) => void (json ? undefined : process.stdout.write(s)),
    });
    if (json) this.printJson({ ...strip(w.job), ok: w.ok, reason: w.reason });
    if (!w.ok) throw new GalaxyError("UNAVAILABLE", `${id}: ${w.reason}`);
  }
}

function readJob(file: string): string {
  try {
    return file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
  } catch (e) {
    throw new InvalidError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const strip = ({ specJson, prevSpecJson, ...j }: Job) => j;

function summary(job: Job, action: string): string {
  if (action === "pause") return `${job.id} paused: ${describeUpdate(job)}`;
  if (action === "cancel") return `${job.id} update cancelled: ${describeUpdate(job)}`;
  if (action) return `${job.id} ${job.state}: ${describeUpdate(job)}`;
  if (job.unchanged) return `${job.id} unchanged`;
  if (job.state === "updating" && job.update.state === "active") return `${job.id} updating: ${describeUpdate(job)}`;
  return `${job.id} updated in place (no pod touched); replica ${job.replica}`;
}
