import { Flags } from "@oclif/core";
import { formatAgo, formatSize } from "../src/core/units.ts";
import { colorStatus, renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, jsonFlag } from "./base.ts";

export default class Pods extends ClientCommand {
  static override description = `List a job's pods: pod, agent, status, version, restarts, last error, cpu, memory, started

STATUS is what runs now: running needs a fresh report from the pod's worker (one older than 10 s shows lost, "no
report from its worker for …"); a container its agent failed or killed shows failed with the agent's reason.
JSON fields: id, jobId, agent, state, healthy (running now, every health check passing), version, restarts, lastError,
usage, startedAt, tasks, ports, containerState`;
  static override examples = ["<%= config.bin %> pods -j web", "<%= config.bin %> pods -j web-2026 --json"];
  static override flags = {
    job: Flags.string({ char: "j", description: "job id, unique id prefix, or name", required: true }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Pods);
    this.connect(flags);
    const { pods } = await this.am().call("AppMaster/ListPods", { jobId: flags.job });
    if (flags.json) return this.printJson(pods);
    if (pods.length === 0) return this.log("No pods.");
    const color = useColor();
    const now = Date.now();
    const rows = pods.map((p) => [
      p.id, p.agent || "-", colorStatus(p.state, color), String(p.version || "-"), String(p.restarts), p.lastError || "-",
      `${p.usage.millicores}m`, formatSize(p.usage.memoryRss), p.startedAt ? formatAgo(p.startedAt, now) : "-",
    ]);
    this.log(renderTable(["POD", "AGENT", "STATUS", "VERSION", "RESTARTS", "LAST ERROR", "CPU", "MEMORY", "STARTED"], rows, { color }));
  }
}
