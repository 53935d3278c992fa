import { Args } from "@oclif/core";
import { ClientCommand } from "../base.ts";

/** For the completion scripts: the ids a job, pod or agent argument may take, one a line (nothing on any error). */
export default class CompletionIds extends ClientCommand {
  static override hidden = true;
  static override description = "Print job ids and names, pod ids or agent endpoints, one a line (used by the completion scripts)";
  static override args = { kind: Args.string({ description: "job, pod or agent", required: true, options: ["job", "pod", "agent"] }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(CompletionIds);
    this.connect(flags);
    const ids = await this.ids(args.kind).catch(() => [] as string[]);
    if (ids.length) this.log([...new Set(ids)].join("\n"));
  }

  private async ids(kind: string): Promise<string[]> {
    if (kind === "agent") return (await this.rm().call("ResMan/ListAgents", { pool: "", label: "" })).agents.map((a) => a.info.endpoint);
    const { jobs } = await this.am().call("AppMaster/ListJobs", { brief: true });
    if (kind === "job") return jobs.flatMap((j) => [j.name, j.id]);
    const pods = await Promise.all(jobs.map((j) => this.am().call("AppMaster/ListPods", { jobId: j.id }).then((r) => r.pods.map((p) => p.id), () => [])));
    return pods.flat();
  }
}
