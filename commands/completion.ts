import { Args, Command } from "@oclif/core";
import { InvalidError } from "../src/core/errors.ts";
import { completionScript, idKind } from "../src/client/completion.ts";

export default class Completion extends Command {
  static override description = `Print a shell completion script for bash, zsh or fish

Commands, flags, and the job, pod and agent ids of a command's argument (asked of the cluster as you type).`;
  static override examples = [
    "source <(<%= config.bin %> completion bash)",
    "<%= config.bin %> completion zsh > \"${fpath[1]}/_galaxy\"",
    "<%= config.bin %> completion fish > ~/.config/fish/completions/galaxy.fish",
  ];
  static override args = { shell: Args.string({ description: "bash, zsh or fish", required: true, options: ["bash", "zsh", "fish"] }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    const commands = this.config.commands.filter((c) => !c.hidden).map((c) => ({
      id: c.id.replace(/:/g, " "),
      flags: Object.entries(c.flags ?? {}).filter(([, f]) => !(f as { hidden?: boolean }).hidden)
        .map(([name, f]) => `--${name}${(f as { char?: string }).char ? ` -${(f as { char?: string }).char}` : ""}`),
      arg: idKind(Object.keys(c.args ?? {})[0]),
    }));
    if (args.shell !== "bash" && args.shell !== "zsh" && args.shell !== "fish") throw new InvalidError("shell must be bash, zsh or fish");
    process.stdout.write(completionScript(args.shell, this.config.bin, commands));
  }
}
