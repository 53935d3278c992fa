import { Command } from "@oclif/core";
import { Worker, workerEnvFrom } from "../src/appworker/worker.ts";
import { fatal } from "./base.ts";

export default class AppWorker extends Command {
  static override description = "Run a pod's worker (started by the agent inside each container; not for people)";
  static override hidden = true;
  static override examples = ["# started by `galaxy agent` with GALAXY_POD_ID, GALAXY_WORKSPACE, … set"];

  async run(): Promise<void> {
    await this.parse(AppWorker);
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
