import { Flags } from "@oclif/core";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { InvalidError } from "../src/core/errors.ts";
import { ClientCommand, jsonFlag } from "./base.ts";

export default class Submit extends ClientCommand {
  static override description = "Submit a job file (YAML or JSON) to AppMaster and print the new job id";
  static override examples = [
    "<%= config.bin %> submit -f testdata/jobs/hello.yaml",
    "<%= config.bin %> submit -f web.yaml --json",
  ];
  static override flags = {
    file: Flags.string({ char: "f", description: "job file (YAML or JSON); - reads stdin", required: true }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Submit);
    this.connect(flags);
    let text: string;
    try {
      text = flags.file === "-" ? readFileSync(0, "utf8") : readFileSync(flags.file, "utf8");
    } catch (e) {
      throw new InvalidError(`cannot read ${flags.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const r = await this.am().call("AppMaster/SubmitJob", { spec: { text, filename: basename(flags.file), format: "" } });
    for (const w of r.warnings) process.stderr.write(`Warning: ${w}\n`);
    if (flags.json) return this.printJson(r.job);
    this.log(r.job.id);
  }
}
