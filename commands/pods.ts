import { Args, Flags } from "@oclif/core";
import { InvalidError } from "../src/core/errors.ts";
import { formatAgo, formatSize } from "../src/core/units.ts";
import { colorStatus, renderTable, useColor } from "../src/client/table.ts";
import type { Pod } from "../src/rpc/types.ts";
import { ClientCommand, listFlags, watchFlags } from "./base.ts";

export default class Pods extends ClientCommand {
  static override description = `List a job's pods: pod, agent, status, version, restarts, last error, cpu, memory, started

STATUS is what runs now: running needs a fresh report from the pod's worker (one older than 10 s shows lost, "no
report from its worker for …"); a container its agent failed or killed shows failed with the agent's reason.
JSON fields: id, jobId, agent, state, healthy (running now, every health check passing), version, restarts, lastError,
usage, startedAt, tasks, ports, containerState`;
  static override examples = ["<%= config.bin %> pods web", "<%= config.bin %> pods web-2026 --json", "<%= config.bin %> pods web -o wide --watch"];
  static override args = { job: Args.string({ description: "job id, unique id prefix, or name" }) };
  static override flags = {
    job: Flags.string({ char: "j", description: "the job, as a flag (same as the JOB argument)" }),
    ...listFlags,
    ...watchFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Pods);
    const job = args.job ?? flags.job;
    if (!job) throw new InvalidError("missing JOB; see `galaxy pods --help`");
    if (args.job && flags.job && args.job !== flags.job) throw new InvalidError(`two jobs given (${args.job} and -j ${flags.job}); give one`);
    this.connect(flags);
    await this.listing(flags, async () => {
      const { pods } = await this.am().call("AppMaster/ListPods", { jobId: job });
      return { value: pods, text: pods.length ? this.table(pods) : "No pods." };
    });
  }

  private table(pods: Pod[]): string {
    const color = useColor();
    const now = Date.now();
    const rows = pods.map((p) => [
      p.id, p.agent || "-", colorStatus(p.state, color), String(p.version || "-"), String(p.restarts), p.lastError || "-",
      `${p.usage.millicores}m`, formatSize(p.usage.memoryRss), p.startedAt ? formatAgo(p.startedAt, now) : "-",
      ...(this.wide ? [p.ports.map((x) => `${x.name}:${x.port}`).join(",") || "-", p.containerId || "-", p.tasks.map((t) => `${t.name}:${t.state}`).join(",") || "-"] : []),
    ]);
    const wide = this.wide ? ["PORTS", "CONTAINER", "TASKS"] : [];
    return renderTable(["POD", "AGENT", "STATUS", "VERSION", "RESTARTS", "LAST ERROR", "CPU", "MEMORY", "STARTED", ...wide], rows, { color });
  }
}
