import { formatSize } from "../src/core/units.ts";
import { renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, jsonFlag } from "./base.ts";

export default class Status extends ClientCommand {
  static override description = `Cluster status: masters (leader, epoch), agents alive/dead/offline, resources per pool, containers

JSON fields: masters [{role, address, epoch, pid, since}], agentsAlive, agentsDead, agentsOffline, pools [{name, total, assigned, agents}], containers, pending, safeMode, recovering`;
  static override examples = ["<%= config.bin %> status", "<%= config.bin %> status --json"];
  static override flags = { ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Status);
    this.connect(flags);
    const s = await this.rm().call("ResMan/Status", {});
    if (flags.json) return this.printJson(s);
    for (const m of s.masters) this.log(`${m.role.padEnd(10)} leader ${m.address}  epoch ${m.epoch}  pid ${m.pid}`);
    this.log(`agents     ${s.agentsAlive} alive, ${s.agentsDead} dead, ${s.agentsOffline} offline`);
    this.log(`containers ${s.containers} (${s.pending} pending)${s.recovering ? "  [recovering placement]" : ""}${s.safeMode ? "  [safe mode]" : ""}`);
    const rows = s.pools.map((p) => [
      p.name, String(p.agents), `${p.assigned.millicores}m / ${p.total.millicores}m`, `${formatSize(p.assigned.memory)} / ${formatSize(p.total.memory)}`,
    ]);
    if (rows.length) this.log("\n" + renderTable(["POOL", "AGENTS", "CPU ASSIGNED/TOTAL", "MEMORY ASSIGNED/TOTAL"], rows, { color: useColor() }));
  }
}
