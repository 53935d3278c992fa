import { cpuPair, sizePair } from "../src/client/resources.ts";
import { renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, listFlags } from "./base.ts";

export default class Pools extends ClientCommand {
  static override description = `List pools: agents alive in each, cpu and memory assigned/total

JSON fields: name, createdAt, agents, total {millicores, memory, disk, ssd}, assigned {…}, used {millicores, memoryRss, memoryCache, disk, at}`;
  static override examples = ["<%= config.bin %> pools", "<%= config.bin %> pools --json"];
  static override flags = { ...listFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(Pools);
    this.connect(flags);
    const [{ pools }, status] = await Promise.all([this.rm().call("ResMan/ListPools", {}), this.rm().call("ResMan/Status", {})]);
    const usage = new Map(status.pools.map((p) => [p.name, p]));
    const rows = pools.map((p) => {
      const u = usage.get(p.name);
      return { name: p.name, createdAt: p.createdAt, agents: u?.agents ?? 0, total: u?.total, assigned: u?.assigned, used: u?.used };
    });
    if (flags.json) return this.printJson(rows);
    if (rows.length === 0) return this.log("No pools.");
    const zero = { millicores: 0, memory: 0, disk: 0, ssd: 0 };
    this.log(renderTable(["POOL", "AGENTS", "CPU", "MEMORY"], rows.map((r) => {
      const t = r.total ?? zero;
      const a = r.assigned ?? zero;
      return [r.name, String(r.agents), cpuPair(a.millicores, t.millicores), sizePair(a.memory, t.memory)];
    }), { color: useColor() }));
  }
}
