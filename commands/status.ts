import { formatSize } from "../src/core/units.ts";
import { cpuPair, sizePair } from "../src/client/resources.ts";
import { renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, jsonFlag } from "./base.ts";

export default class Status extends ClientCommand {
  static override description = `Cluster status: masters (leader, epoch), agents alive/dead/offline/draining, resources per pool, containers, safe mode

JSON fields: masters [{role, address, epoch, pid, since}], agentsAlive, agentsDead, agentsOffline, agentsDraining, agentsKnown, agentsReported, pools [{name, agents, total {millicores, memory, disk, ssd}, assigned {…}, used {millicores, memoryRss, memoryCache, disk, at}}], containers, pending, safeMode, safeModeReason, recovering`;
  static override examples = ["<%= config.bin %> status", "<%= config.bin %> status --json"];
  static override flags = { ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Status);
    this.connect(flags);
    const s = await this.rm().call("ResMan/Status", {});
    if (flags.json) return this.printJson(s);
    for (const m of s.masters) this.log(`${m.role.padEnd(10)} leader ${m.address}  epoch ${m.epoch}  pid ${m.pid}`);
    this.log(`agents     ${s.agentsAlive} alive, ${s.agentsDead} dead, ${s.agentsOffline} offline, ${s.agentsDraining} draining`);
    this.log(`containers ${s.containers} (${s.pending} pending)${s.recovering ? "  [recovering placement]" : ""}`);
    if (s.safeMode) this.log(`safe mode  on (${s.safeModeReason}): nothing is scheduled`);
    const rows = s.pools.map((p) => [
      p.name, String(p.agents), cpuPair(p.assigned.millicores, p.total.millicores), sizePair(p.assigned.memory, p.total.memory),
      `${sizePair(p.assigned.disk, p.total.disk)}${p.total.ssd ? ` ssd ${sizePair(p.assigned.ssd, p.total.ssd)}` : ""}`,
      `${Math.round(p.used.millicores / 10) / 100} cores, ${formatSize(p.used.memoryRss)}`,
    ]);
    if (rows.length) this.log("\n" + renderTable(["POOL", "AGENTS", "CPU ASSIGNED/TOTAL", "MEMORY ASSIGNED/TOTAL", "VOLUMES ASSIGNED/TOTAL", "USED"], rows, { color: useColor() }));
  }
}
