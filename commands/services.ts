import { Args } from "@oclif/core";
import chalk from "chalk";
import { renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, listFlags } from "./base.ts";

export default class Services extends ClientCommand {
  static override description = `List a job's published services: pod, service, address (agent host and real port), status from health

The same list is in <cluster-dir>/naming/<job id>.json, replaced atomically on every change.
JSON fields: pod, service, address, status (healthy | unhealthy | down)`;
  static override examples = ["<%= config.bin %> services web", "<%= config.bin %> services web --json"];
  static override args = { job: Args.string({ description: "job id, unique id prefix, or name", required: true }) };
  static override flags = { ...listFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Services);
    this.connect(flags);
    const { services } = await this.am().call("AppMaster/ListServices", { id: args.job });
    if (flags.json) return this.printJson(services);
    if (services.length === 0) return this.log("No services.");
    const color = useColor();
    const paint = { healthy: chalk.green, unhealthy: chalk.yellow, down: chalk.red } as Record<string, (s: string) => string>;
    const statusColor = (s: string) => (color && paint[s] ? paint[s]!(s) : s);
    const rows = services.map((s) => [s.pod, s.service, s.address || "-", statusColor(s.status)]);
    this.log(renderTable(["POD", "SERVICE", "ADDRESS", "STATUS"], rows, { color }));
  }
}
