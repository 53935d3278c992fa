import { Args } from "@oclif/core";
import { ClientCommand, jsonFlag } from "./base.ts";

export default class Recover extends ClientCommand {
  static override description = `Rebuild one pod in place: its worker downloads the job's packages again and restarts its tasks, in the same container

JSON fields: the pod (id, agent, state, version, …)`;
  static override examples = ["<%= config.bin %> recover web web-20261121-1432-7f3a.2", "<%= config.bin %> recover web 2"];
  static override args = {
    job: Args.string({ description: "job id, unique id prefix, or name", required: true }),
    pod: Args.string({ description: "pod id, unique prefix, or index", required: true }),
  };
  static override flags = { ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Recover);
    this.connect(flags);
    const pod = await this.am().call("AppMaster/RecoverPod", { jobId: args.job, podId: args.pod });
    if (flags.json) return this.printJson(pod);
    this.log(`${pod.id} rebuilding in place on ${pod.agent}`);
  }
}
