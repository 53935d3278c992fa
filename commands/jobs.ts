import { Flags } from "@oclif/core";
import { formatAgo, formatSize } from "../src/core/units.ts";
import { colorStatus, renderTable, useColor } from "../src/client/table.ts";
import { statusLine, statusOf } from "../src/client/progress.ts";
import type { Job } from "../src/rpc/types.ts";
import { ClientCommand, listFlags, watchFlags } from "./base.ts";

export default class Jobs extends ClientCommand {
  static override description = `List jobs: id, name, type, user, status, pod counts, replica, cpu, memory, age

STATUS comes from the pods as they are now: deploying, running, degraded (fewer healthy pods than replica), failed
(the failure policy gave up), finished, finished with failures, updating, update_paused, destroying. A finished batch
job shows how many pods succeeded and failed; an updating job how many pods run the new version; a deploying or
degraded one how many pods are healthy of its replica.
JSON fields: id, name, jobType, user, state (lifecycle), status, healthy, replica, running, pending, deploying, dead, failed, finished, resources, createdAt, version, update, finishedAt`;
  static override examples = ["<%= config.bin %> jobs", "<%= config.bin %> jobs --all --json", "<%= config.bin %> jobs -o wide --watch"];
  static override flags = {
    all: Flags.boolean({ char: "a", description: "every user's jobs (admins see all by default)" }),
    ...listFlags,
    ...watchFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Jobs);
    this.connect(flags);
    await this.listing(flags, async () => {
      const { jobs } = await this.am().call("AppMaster/ListJobs", { all: flags.all, brief: true });
      return { value: jobs.map(({ specJson, prevSpecJson, warnings, ...j }) => j), text: jobs.length ? this.table(jobs) : "No jobs." };
    });
  }

  private table(jobs: Job[]): string {
    const color = useColor();
    const now = Date.now();
    const rows = jobs.map((j) => [
      j.id, j.name, j.jobType, j.user, colorStatus(statusOf(j), color).replace(statusOf(j), statusLine(j)),
      `${j.running}/${j.pending}/${j.deploying}/${j.dead}/${j.failed}`, String(j.replica),
      `${j.resources.millicores}m`, formatSize(j.resources.memory), formatAgo(j.createdAt, now),
      ...(this.wide ? [String(j.version), j.message || "-"] : []),
    ]);
    const wide = this.wide ? ["VERSION", "MESSAGE"] : [];
    return renderTable(["ID", "NAME", "TYPE", "USER", "STATUS", "RUN/PEND/DEPL/DEAD/FAIL", "REPLICA", "CPU", "MEMORY", "CREATED", ...wide], rows, { color });
  }
}
