import { Args, Flags } from "@oclif/core";
import { readFileSync } from "node:fs";
import { ConflictError, InvalidError } from "../src/core/errors.ts";
import { agentClient } from "../src/client/connect.ts";
import { locatePod } from "../src/agent/logs-locate.ts";
import { ClientCommand } from "./base.ts";
import { durationFlag } from "./flags.ts";

export default class Exec extends ClientCommand {
  static override description = `Run a command inside a running pod: its namespaces and cgroup, as its task's user, in its workspace

Allowed to the job's owner, admins, and users with the update grant on the pod's pool. The command's stdout, stderr
and exit code come back when it ends (a TTY is not given: run one command, not an interactive shell); -i sends
this command's stdin to it. It is killed at --timeout (exit 124).`;
  static override examples = [
    "<%= config.bin %> exec web-20261121-1432-7f3a.0 -- ls -l",
    "<%= config.bin %> exec web.0 --task main -- cat conf/app.yaml",
    "echo hi | <%= config.bin %> exec web.0 -i -- sh -c 'cat > note'",
  ];
  static override strict = false; // everything after -- is the command
  static override args = { pod: Args.string({ description: "pod id or unique prefix (a job with one pod names it)", required: true }) };
  static override flags = {
    task: Flags.string({ char: "t", description: "the task whose user and environment (GALAXY_TASK) to use (default: the pod's first)" }),
    stdin: Flags.boolean({ char: "i", description: "send this command's stdin to it" }),
    timeout: durationFlag({ description: "kill it after this long (at most 1h)", default: 60_000, defaultHelp: async () => "1m" }),
  };

  async run(): Promise<void> {
    const { args, flags, argv } = await this.parse(Exec);
    const cmd = (argv as string[]).slice(1);
    if (cmd.length === 0) throw new InvalidError("give the command after --: galaxy exec POD -- CMD…");
    if (flags.timeout > 3_600_000) throw new InvalidError("--timeout is at most 1h");
    this.connect(flags);
    const where = await locatePod({ am: this.am(), rm: () => this.rm(), agent: (ep) => agentClient(this.cfg, ep) }, args.pod);
    if (where.ended) throw new ConflictError(`${where.ended}; exec needs a running pod`);
    const stdin = flags.stdin ? readFileSync(0) : new Uint8Array();
    const agent = agentClient(this.cfg, where.agent, flags.timeout + 15_000);
    const r = await agent.call("Agent/Exec", { containerId: where.containerId, task: flags.task ?? where.firstTask, argv: cmd, stdin, timeoutMs: flags.timeout });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    if (r.truncated) process.stderr.write("galaxy exec: output cut at 8 MiB\n");
    if (r.timedOut) process.stderr.write(`galaxy exec: killed after ${Math.round(flags.timeout / 1000)} s (--timeout)\n`);
    const code = r.timedOut ? 124 : r.exitCode;
    if (code !== 0) this.exit(code);
  }
}
