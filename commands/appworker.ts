import { Command, Flags } from "@oclif/core";
import { runAppWorker } from "../src/appworker/main.ts";

export default class AppWorker extends Command {
  static override description = "Run a pod's worker (started by the agent inside each container; not for people)";
  static override hidden = true;
  static override examples = ["# started by `galaxy agent` with GALAXY_POD_ID, GALAXY_WORKSPACE, … set"];
  static override flags = {
    host: Flags.string({ description: "serve every container the agent lists in this directory (one worker per host)" }),
  };

  // src/main.ts starts the worker without oclif (runAppWorker) whenever its arguments are the plain ones; this class
  // serves --help and anything else oclif must check.
  async run(): Promise<void> {
    const { flags } = await this.parse(AppWorker);
    await runAppWorker({ host: flags.host });
  }
}
