import { Args, Flags } from "@oclif/core";
import { readFileSync } from "node:fs";
import { ConflictError, InvalidError } from "../src/core/errors.ts";
import { agentClient } from "../src/client/connect.ts";
import { locatePod } from "../src/agent/logs-locate.ts";
import { runTerminal } from "../src/client/exec-terminal.ts";
import { ClientCommand } from "./base.ts";
import { durationFlag } from "./flags.ts";

export default class Exec extends ClientCommand {
  static override description = `Run a command inside a running pod: its namespaces and cgroup, as its task's user, in its workspace

Allowed to the job's owner, admins, and users with the update grant on the pod's pool. The command's stdout, stderr
and exit code come back when it ends; -i sends this command's stdin to it. When stdin and stdout are a terminal
(or with --tty) it gets a terminal of the same size on the agent (script(1)), keystrokes go to it as typed: an
interactive shell works (galaxy exec POD -- sh). It is killed at --timeout (exit 124 without a terminal).`;
  static override examples = [
    "<%= config.bin %> exec web-20261121-1432-7f3a.0 -- ls -l",
    "<%= config.bin %> exec web.0 --task main -- cat conf/app.yaml",
    "echo hi | <%= config.bin %> exec web.0 -i -- sh -c 'cat > note'",
    "<%= config.bin %> exec web.0 -- sh",
  ];
  static override strict = false; // everything after -- is the command
  static override args = { pod: Args.string({ description: "pod id or unique prefix (a job with one pod names it)", required: true }) };
  static override flags = {
    task: Flags.string({ char: "t", description: "the task whose user and environment (GALAXY_TASK) to use (default: the pod's first)" }),
    stdin: Flags.boolean({ char: "i", description: "send this command's stdin to it" }),
    timeout: durationFlag({ description: "kill it after this long (at most 1h; with a terminal default 1h)", defaultHelp: async () => "1m" }),
    tty: Flags.boolean({ description: "a terminal for the command (default: when stdin and stdout are one)", allowNo: true }),
  };

  async run(): Promise<void> {
    const { args, flags, argv } = await this.parse(Exec);
    const cmd = (argv as string[]).slice(1);
    if (cmd.length === 0) throw new InvalidError("give the command after --: galaxy exec POD -- CMD…");
    const tty = flags.tty ?? (!!process.stdin.isTTY && !!process.stdout.isTTY);
    const timeout = flags.timeout ?? (tty ? 3_600_000 : 60_000);
    if (timeout > 3_600_000) throw new InvalidError("--timeout is at most 1h");
    this.connect(flags);
    const where = await locatePod({ am: this.am(), rm: () => this.rm(), agent: (ep) => agentClient(this.cfg, ep) }, args.pod);
    if (where.ended) throw new ConflictError(`${where.ended}; exec needs a running pod`);
    const task = flags.task ?? where.firstTask;
    if (tty) {
      const agent = agentClient(this.cfg, where.agent);
      const rows = process.stdout.rows ?? 24;
      const cols = process.stdout.columns ?? 80;
      const { session } = await agent.call("Agent/Exec", { containerId: where.containerId, task, argv: cmd, stdin: new Uint8Array(), timeoutMs: timeout, tty: true, rows, cols });
      const code = await runTerminal(agent, session);
      if (code !== 0) this.exit(code);
      return;
    }
    const stdin = flags.stdin ? readFileSync(0) : new Uint8Array();
    const agent = agentClient(this.cfg, where.agent, timeout + 15_000);
    const r = await agent.call("Agent/Exec", { containerId: where.containerId, task, argv: cmd, stdin, timeoutMs: timeout });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    if (r.truncated) process.stderr.write("galaxy exec: output cut at 8 MiB\n");
    if (r.timedOut) process.stderr.write(`galaxy exec: killed after ${Math.round(timeout / 1000)} s (--timeout)\n`);
    const code = r.timedOut ? 124 : r.exitCode;
    if (code !== 0) this.exit(code);
  }
}
