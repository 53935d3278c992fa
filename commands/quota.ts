import { Args, Flags } from "@oclif/core";
import { InvalidError } from "../src/core/errors.ts";
import { formatSize } from "../src/core/units.ts";
import { cores } from "../src/client/resources.ts";
import { renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, jsonFlag } from "./base.ts";
import { sizeFlag } from "./flags.ts";

export default class Quota extends ClientCommand {
  static override description = `Set a user's quota, or (given no limits) show its usage against it

Submit, update and scale are refused when they would take the user past a limit; 0 means no limit.
JSON fields: quota {user, millicores, memory, disk, ssd, replica}, used {same}`;
  static override examples = [
    "<%= config.bin %> quota alice",
    "<%= config.bin %> quota alice --cpu 100 --memory 200G --replica 500",
    "<%= config.bin %> quota alice --memory 0",
  ];
  static override args = { user: Args.string({ description: "user name", required: true }) };
  static override flags = {
    cpu: Flags.string({ description: "cores (e.g. 100 or 0.5)" }),
    memory: sizeFlag({ description: "memory, e.g. 200G (tmpfs volumes count)" }),
    disk: sizeFlag({ description: "disk, e.g. 1T (workspaces and disk volumes)" }),
    ssd: sizeFlag({ description: "ssd, e.g. 1T" }),
    replica: Flags.integer({ description: "pods, over all the user's jobs", min: 0 }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Quota);
    // every flag is checked before any request
    const change = {
      ...(flags.cpu !== undefined ? { millicores: parseCores(flags.cpu) } : {}),
      ...(flags.memory !== undefined ? { memory: flags.memory } : {}), // sizes parsed (and refused) by oclif
      ...(flags.disk !== undefined ? { disk: flags.disk } : {}),
      ...(flags.ssd !== undefined ? { ssd: flags.ssd } : {}),
      ...(flags.replica !== undefined ? { replica: flags.replica } : {}),
    };
    const given = Object.keys(change).length > 0;
    this.connect(flags);
    const rm = this.rm();
    let r = await rm.call("ResMan/GetQuota", { quota: { user: args.user }, set: false });
    if (given) r = await rm.call("ResMan/SetQuota", { quota: { ...r.quota, user: args.user, ...change }, set: true });
    if (flags.json) return this.printJson(r);
    const limit = (n: number, f: (n: number) => string) => (n > 0 ? f(n) : "no limit");
    const rows = [
      ["cpu", `${cores(r.used.millicores)} cores`, limit(r.quota.millicores, (n) => `${cores(n)} cores`)],
      ["memory", formatSize(r.used.memory), limit(r.quota.memory, formatSize)],
      ["disk", formatSize(r.used.disk), limit(r.quota.disk, formatSize)],
      ["ssd", formatSize(r.used.ssd), limit(r.quota.ssd, formatSize)],
      ["replica", String(r.used.replica), limit(r.quota.replica, String)],
    ];
    this.log(`Quota of ${args.user}${given ? " (updated)" : ""}`);
    this.log(renderTable(["DIMENSION", "USED", "QUOTA"], rows, { color: useColor() }));
  }
}

function parseCores(s: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0) throw new InvalidError(`--cpu ${JSON.stringify(s)} is not a number of cores`);
  return Math.round(n * 1000);
}
