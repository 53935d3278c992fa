import { Flags } from "@oclif/core";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { GalaxyError, InvalidError } from "../src/core/errors.ts";
import { durationFlag, jobFileFlag } from "./flags.ts";
import { watchJob } from "../src/client/watch.ts";
import { ClientCommand, jsonFlag } from "./base.ts";

export default class Submit extends ClientCommand {
  static override description = "Submit a job file (YAML or JSON) to AppMaster and print the new job id";
  static override examples = [
    "<%= config.bin %> submit -f testdata/jobs/hello.yaml",
    "<%= config.bin %> submit -f web.yaml --json",
    "<%= config.bin %> submit -f web.yaml --wait --timeout 2m",
  ];
  static override flags = {
    file: jobFileFlag(),
    wait: Flags.boolean({ char: "w", description: "show progress until every pod runs (batch: finishes); exit 1 if a pod fails or the timeout passes" }),
    timeout: durationFlag({ description: "with --wait: give up after this long", default: 5 * 60_000, defaultHelp: async () => "5m" }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Submit);
    const deadlineMs = flags.timeout; // parsed (and refused) by oclif before any request
    this.connect(flags);
    let text: string;
    try {
      text = flags.file === "-" ? readFileSync(0, "utf8") : readFileSync(flags.file, "utf8");
    } catch (e) {
      throw new InvalidError(`cannot read ${flags.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const r = await this.am().call("AppMaster/SubmitJob", { spec: { text, filename: basename(flags.file), format: "" } });
    for (const w of r.warnings) process.stderr.write(`Warning: ${w}\n`);
    if (flags.json && !flags.wait) return this.printJson(r.job);
    if (!flags.json) this.log(r.job.id);
    if (!flags.wait) return;
    const tty = !!process.stderr.isTTY && !flags.json;
    const w = await watchJob(this.am(), r.job.id, "deploy", {
      deadlineMs, tty, write: (s) => void process.stderr.write(flags.json ? "" : s),
    });
    if (flags.json) this.printJson({ ...w.job, specJson: undefined, prevSpecJson: undefined, ok: w.ok, reason: w.reason });
    if (!w.ok) throw new GalaxyError("UNAVAILABLE", `${r.job.id}: ${w.reason}`);
  }
}
