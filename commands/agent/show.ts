import { Args } from "@oclif/core";
import { formatAgo, formatSize } from "../../src/core/units.ts";
import { AGENT_JSON_FIELDS, agentJson, cores, cpuPair, deviceLine, sizePair } from "../../src/client/resources.ts";
import { colorStatus, renderTable, useColor } from "../../src/client/table.ts";
import { ClientCommand, jsonFlag } from "../base.ts";

export default class AgentShow extends ClientCommand {
  static override description = `Show one agent: state, pool, labels, resources, devices and its containers

JSON fields: agent {${AGENT_JSON_FIELDS}}, containers [{id, groupId, state, ports, jobType, resources}]`;
  static override examples = ["<%= config.bin %> agent show 10.0.0.5:1646", "<%= config.bin %> agent show 10.0.0.5 --json"];
  static override args = { endpoint: Args.string({ description: "agent endpoint HOST:PORT (or a unique prefix)", required: true }) };
  static override flags = { ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AgentShow);
    this.connect(flags);
    const r = await this.rm().call("ResMan/ShowAgent", { endpoint: args.endpoint, pool: "" });
    const a = r.agent;
    if (flags.json) {
      return this.printJson({ agent: agentJson(a), containers: r.containers.map((c) => ({ id: c.id, groupId: c.groupId, state: c.state, ports: c.ports, jobType: c.jobType, resources: c.resources })) });
    }
    const color = useColor();
    const t = a.info.total;
    this.log(`Agent ${a.info.endpoint}  (${colorStatus(a.state, color)}, pool ${a.info.pool})`);
    if (a.drain) this.log(`  ${a.drain === "drained" ? "drained    every container moved away" : `moves      ${a.drain}`}`);
    this.log(`  labels     ${a.info.labels.join(", ") || "-"}`);
    this.log(`  host       ${a.info.hostname || "-"}, isolation ${a.info.isolation || "-"}, ports ${a.info.portMin}-${a.info.portMax}, heartbeat ${a.lastHeartbeat ? formatAgo(a.lastHeartbeat, Date.now()) : "-"}`);
    this.log(`  assigned   cpu ${cpuPair(a.assigned.millicores, t.millicores)}, memory ${sizePair(a.assigned.memory, t.memory)}, disk ${sizePair(a.assigned.disk, t.disk)}, ssd ${sizePair(a.assigned.ssd, t.ssd)}`);
    this.log(`  used       cpu ${cores(a.used.millicores)}, memory ${formatSize(a.used.memoryRss)}${a.pressure ? "  [memory pressure]" : ""}`);
    for (const d of a.deviceUse ?? []) this.log(`  device     ${deviceLine(d)}`);
    for (const d of a.info.data ?? []) this.log(`  data       ${d.containerId} ${d.path} on ${d.device || "the data directory"} (persistent, ${formatSize(Number(d.size))})`);
    for (const c of a.info.cannotEnforce ?? []) this.log(`  cannot     enforce ${c}`);
    if (r.containers.length === 0) return this.log("  no containers");
    this.log("");
    const rows = r.containers.map((c) => [c.id, c.jobType, colorStatus(c.state, color), `${c.resources.millicores}m`, formatSize(c.resources.memory), c.ports.map((p) => `${p.name}:${p.port}`).join(",") || "-"]);
    this.log(renderTable(["CONTAINER", "TYPE", "STATUS", "CPU", "MEMORY", "PORTS"], rows, { color }));
  }
}
