import { Args, Flags } from "@oclif/core";
import type { JobEvent } from "../src/rpc/types.ts";
import { columnWidths, followRow, renderTable, useColor } from "../src/client/table.ts";
import { ClientCommand, listFlags } from "./base.ts";

export default class Events extends ClientCommand {
  static override description = `Show the event trail of a job (or of the whole cluster)

Placements, deploys, starts, exits with their reason, restarts, update steps, preemptions, failovers; oldest first.
With -f new events follow in the same columns until Ctrl-C. An unknown job is an error (exit 1).
JSON fields: seq, at, jobId, podId, kind, message (with -f: one JSON object per line)`;
  static override examples = ["<%= config.bin %> events web", "<%= config.bin %> events", "<%= config.bin %> events web -f", "<%= config.bin %> events web --limit 20 --json"];
  static override args = { job: Args.string({ description: "job id, unique id prefix, or name (default: every job)" }) };
  static override flags = {
    follow: Flags.boolean({ char: "f", description: "keep printing new events until Ctrl-C" }),
    limit: Flags.integer({ char: "n", description: "only the last N events", min: 1, default: 100 }),
    ...listFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Events);
    this.connect(flags);
    const jobId = args.job ?? "";
    let r = await this.am().call("AppMaster/ListEvents", { jobId, afterSeq: 0, limit: flags.limit });
    if (flags.json && !flags.follow) return this.printJson(r.events);
    this.print(r.events, flags.json, !jobId, true);
    while (flags.follow) {
      await Bun.sleep(1000);
      const next = await this.am().call("AppMaster/ListEvents", { jobId, afterSeq: r.lastSeq, limit: 0 });
      this.print(next.events, flags.json, !jobId, false);
      r = next;
    }
  }

  private print(events: JobEvent[], json: boolean, cluster: boolean, first: boolean): void {
    if (json) return events.forEach((e) => this.log(JSON.stringify(e)));
    if (events.length === 0) return first ? this.log("No events.") : undefined;
    const time = (at: number) => new Date(at).toISOString().replace("T", " ").slice(0, 19);
    const who = (e: JobEvent) => e.podId || (cluster ? e.jobId || "cluster" : "job");
    const rows = events.map((e) => [time(e.at), who(e), e.kind, e.message]);
    if (first) {
      const table = renderTable(["TIME", cluster ? "POD/JOB" : "POD", "KIND", "MESSAGE"], rows, { color: useColor() });
      this.widths = columnWidths(table.split("\n")[0]!, 3);
      return this.log(table);
    }
    for (const r of rows) this.log(followRow(this.widths, r)); // -f: later events keep the first table's columns
  }

  private widths: number[] = [];
}
