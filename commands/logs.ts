import { Args, Flags } from "@oclif/core";
import { agentClient } from "../src/client/connect.ts";
import { findPod, followLogs, printLogs } from "../src/agent/logs-client.ts";
import { ClientCommand } from "./base.ts";

export default class Logs extends ClientCommand {
  static override description = `Print a pod's task output, read through its agent (no shell on the host needed)

POD is a pod id (<job>.<index>) or a unique prefix of one; a job id (or prefix) with a single pod names that pod.
Without --task, the pod's first task; --task worker shows the pod's worker log.`;
  static override examples = [
    "<%= config.bin %> logs web-20261121-1432-7f3a.0",
    "<%= config.bin %> logs web-2026 --task main --tail 50",
    "<%= config.bin %> logs web-20261121-1432-7f3a.1 --err -f",
  ];
  static override args = { pod: Args.string({ description: "pod id or unique prefix", required: true }) };
  static override flags = {
    task: Flags.string({ char: "t", description: "task name (default: the pod's first task)" }),
    err: Flags.boolean({ description: "stderr instead of stdout" }),
    follow: Flags.boolean({ char: "f", description: "keep printing new output until Ctrl-C" }),
    tail: Flags.integer({ char: "n", description: "only the last N lines", min: 1 }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    this.connect(flags);
    const pod = await findPod(this.am(), args.pod);
    const agent = agentClient(this.cfg, pod.agent);
    const req = { containerId: pod.containerId || pod.id, task: flags.task ?? pod.tasks[0]?.name ?? "worker", stderr: flags.err, tail: flags.tail ?? 0 };
    const write = (b: Uint8Array) => void process.stdout.write(b);
    const offset = await printLogs(agent, req, write);
    if (flags.follow) await followLogs(agent, req, offset, write, () => false);
  }
}
