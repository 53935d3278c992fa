import { Flags } from "@oclif/core";
import { formatAgo } from "../src/core/units.ts";
import { AGENT_JSON_FIELDS, agentJson, cpuPair, degradedIsolation, deviceAndLimitLines, sizePair } from "../src/client/resources.ts";
import { colorStatus, renderTable, useColor } from "../src/client/table.ts";
import type { AgentStatus } from "../src/rpc/types.ts";
import { ClientCommand, listFlags, watchFlags } from "./base.ts";

export default class Agents extends ClientCommand {
  static override description = `List agents: endpoint, status, pool, labels, containers, cpu and memory assigned/total, used

Status is alive, dead (silent past the agent timeout), offline (takes no new containers) or draining. Under the table:
each storage device's use (shared volumes' bytes allocated, or the container holding it exclusively) and what a host
cannot enforce (io weights or throttles its cgroups lack).
JSON fields: ${AGENT_JSON_FIELDS}`;
  static override examples = ["<%= config.bin %> agents", "<%= config.bin %> agents --pool gpu --label ssd", "<%= config.bin %> agents --json"];
  static override flags = {
    pool: Flags.string({ description: "only agents in this pool" }),
    label: Flags.string({ description: "only agents with this label" }),
    ...listFlags,
    ...watchFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Agents);
    this.connect(flags);
    await this.listing(flags, async () => {
      const { agents } = await this.rm().call("ResMan/ListAgents", { pool: flags.pool ?? "", label: flags.label ?? "" });
      return { value: agents.map(agentJson), text: agents.length ? this.table(agents) : "No agents." };
    });
  }

  private table(agents: AgentStatus[]): string {
    const color = useColor();
    const now = Date.now();
    const rows = agents.map((a) => [
      a.info.endpoint, colorStatus(a.state, color), a.info.pool, a.info.labels.join(",") || "-", String(a.containers),
      cpuPair(a.assigned.millicores, a.info.total.millicores), sizePair(a.assigned.memory, a.info.total.memory),
      `${cpuPair(a.used.millicores, a.info.total.millicores)} ${sizePair(a.used.memoryRss, a.info.total.memory)}`,
      a.lastHeartbeat ? formatAgo(a.lastHeartbeat, now) : "-",
    ]);
    const table = renderTable(["ENDPOINT", "STATUS", "POOL", "LABELS", "CONTAINERS", "CPU", "MEMORY", "USED CPU MEM", "HEARTBEAT"], rows, { color });
    return [table, ...degradedIsolation(agents), ...deviceAndLimitLines(agents)].join("\n");
  }
}
