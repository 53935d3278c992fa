import { Command, Flags } from "@oclif/core";
import { writeFileSync } from "node:fs";
import { HostWorker } from "../src/appworker/host-worker.ts";
import { Worker, workerEnvFrom } from "../src/appworker/worker.ts";
import { fatal } from "./base.ts";

export default class AppWorker extends Command {
  static override description = "Run a pod's worker (started by the agent inside each container; not for people)";
  static override hidden = true;
  static override examples = ["# started by `galaxy agent` with GALAXY_POD_ID, GALAXY_WORKSPACE, … set"];
  static override flags = {
    host: Flags.string({ description: "serve every container the agent lists in this directory (one worker per host)" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(AppWorker);
    if (flags.host) {
      try {
        writeFileSync("/proc/self/oom_score_adj", "-998"); // tasks start back at 0 (task-launch.ts)
      } catch {
        /* not root */
      }
      const log = (msg: string) => process.stderr.write(`${new Date().toISOString()} host worker: ${msg}\n`);
      log(`serving the containers listed in ${flags.host}`);
      await new HostWorker(flags.host, log).run();
      return;
    }
    let env;
    try {
      env = workerEnvFrom(process.env);
    } catch (e) {
      fatal((e as Error).message);
    }
    const log = (msg: string) => process.stderr.write(`${new Date().toISOString()} worker ${env.podId}: ${msg}\n`);
    await new Worker(env, log).run();
  }
}
