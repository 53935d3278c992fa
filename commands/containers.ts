import { Args } from "@oclif/core";
import { formatSize } from "../src/core/units.ts";
import { colorStatus, renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, listFlags } from "./base.ts";

export default class Containers extends ClientCommand {
  static override description = `ResMan's container groups (one per job), or one group's containers with agent, status and why a pending one is not placed

A preempted container waits with status "preempted" until it fits again.
JSON fields (list): id, user, jobType, replica, placed, running, pending, resources, lastError, reasons
JSON fields (one group): group {id, user, jobType, replica, placed, running, pending, resources, lastError, reasons}, containers [{id, agent, state, ports, volumes, lastError, reasons, message, preemptedBy}]`;
  static override examples = ["<%= config.bin %> containers", "<%= config.bin %> containers web-2026", "<%= config.bin %> containers web-2026 --json"];
  static override args = { group: Args.string({ description: "group (job) id or unique prefix" }) };
  static override flags = { ...listFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Containers);
    this.connect(flags);
    if (args.group) return this.showGroup(args.group, flags.json);
    const { groups } = await this.rm().call("ResMan/ListGroups", {});
    const list = groups.map(groupJson);
    if (flags.json) return this.printJson(list);
    if (list.length === 0) return this.log("No container groups.");
    const rows = list.map((g) => [
      g.id, g.user || "-", g.jobType, String(g.replica), String(g.placed), String(g.running), String(g.pending),
      `${g.resources.millicores}m`, formatSize(g.resources.memory), g.lastError || "-",
    ]);
    this.log(renderTable(["GROUP", "USER", "TYPE", "REPLICA", "PLACED", "RUNNING", "PENDING", "CPU", "MEMORY", "LAST ERROR"], rows, { color: useColor() }));
  }

  private async showGroup(id: string, json: boolean): Promise<void> {
    const r = await this.rm().call("ResMan/ShowGroup", { id });
    const containers = r.containers.map((c) => ({
      id: c.id, agent: c.agent, state: c.state, ports: c.ports, volumes: c.volumes, lastError: c.lastError, reasons: c.reasons,
      message: c.message, preemptedBy: c.preemptedBy,
    }));
    if (json) return this.printJson({ group: groupJson(r.group), containers });
    const g = groupJson(r.group);
    const color = useColor();
    this.log(`Group ${g.id}  (${g.jobType}, user ${g.user || "-"}): ${g.placed} placed, ${g.running} running, ${g.pending} pending of ${g.replica}`);
    if (containers.length === 0) return;
    const rows = containers.map((c) => [
      c.id, c.agent || "-", colorStatus(c.state, color), c.ports.map((p) => `${p.name}:${p.port}`).join(",") || "-",
      c.lastError || (c.state === "preempted" || c.state === "pending" ? c.message : "") || "-",
    ]);
    this.log(renderTable(["CONTAINER", "AGENT", "STATUS", "PORTS", "LAST ERROR"], rows, { color }));
  }
}

function groupJson(g: { spec: { id: string; user: string; jobType: string; replica: number; resources: { millicores: number; memory: number; disk: number; ssd: number } }; placed: number; running: number; pending: number; lastError: string; reasons: Record<string, number> }) {
  return {
    id: g.spec.id, user: g.spec.user, jobType: g.spec.jobType, replica: g.spec.replica, placed: g.placed, running: g.running,
    pending: g.pending, resources: g.spec.resources, lastError: g.lastError, reasons: g.reasons,
  };
}
