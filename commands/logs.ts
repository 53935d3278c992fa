import { Args, Flags } from "@oclif/core";
import { agentClient } from "../src/client/connect.ts";
import { followLogs, printLogs } from "../src/agent/logs-client.ts";
import { explainGone, locatePod } from "../src/agent/logs-locate.ts";
import { ClientCommand } from "./base.ts";
import { sinceFlag } from "./flags.ts";

export default class Logs extends ClientCommand {
  static override description = `Print a pod's task output, read through its agent (no shell on the host needed)

POD is a pod id (<job>.<index>) or a unique prefix of one; a job id (or prefix) with a single pod names that pod.
Without --task, the pod's first task; --task worker shows the pod's worker log.
An ended pod (finished, failed, removed) stays readable, even once its job
is gone, until its agent collects its workspace (--gc-delay, 10m default).
stderr also says how it ended ("pod <id> finished: task main exited 0");
after the delay, galaxy logs says when its logs were collected.
--since 10m (or a time, 2026-12-06T10:00:00Z) starts at the first line written since; --timestamps prefixes each
line with when it was written (as the pod's worker saw it, to a quarter second); --previous reads the task's run
before its last restart.`;
  static override examples = [
    "<%= config.bin %> logs web-20261121-1432-7f3a.0",
    "<%= config.bin %> logs web-2026 --task main --tail 50",
    "<%= config.bin %> logs web-20261121-1432-7f3a.1 --err -f",
    "<%= config.bin %> logs web.0 --since 10m --timestamps",
    "<%= config.bin %> logs web.0 --previous",
  ];
  static override args = { pod: Args.string({ description: "pod id or unique prefix", required: true }) };
  static override flags = {
    task: Flags.string({ char: "t", description: "task name (default: the pod's first task)" }),
    err: Flags.boolean({ description: "stderr instead of stdout" }),
    follow: Flags.boolean({ char: "f", description: "keep printing new output until Ctrl-C (a pod that ended: print and stop)" }),
    tail: Flags.integer({ char: "n", description: "only the last N lines", min: 1 }),
    since: sinceFlag({ description: "only lines written since: a duration back from now (10m, 1h) or a time (RFC 3339)" }),
    timestamps: Flags.boolean({ description: "prefix each line with when it was written (UTC)" }),
    previous: Flags.boolean({ char: "p", description: "the task's run before its last restart" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    this.connect(flags);
    const where = await locatePod({ am: this.am(), rm: () => this.rm(), agent: (ep) => agentClient(this.cfg, ep) }, args.pod);
    const agent = agentClient(this.cfg, where.agent);
    const req = {
      containerId: where.containerId, task: flags.task ?? where.firstTask, stderr: flags.err, tail: flags.tail ?? 0,
      previous: flags.previous, since: flags.since ?? 0, timestamps: flags.timestamps,
    };
    const write = (b: Uint8Array) => void process.stdout.write(b);
    const offset = await printLogs(agent, req, write).catch((e) => explainGone(agent, where.containerId, e));
    if (where.ended) return void process.stderr.write(`${where.ended}\n`);
    if (flags.follow && !flags.previous) await followLogs(agent, req, offset, write, () => false);
  }
}
