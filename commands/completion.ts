import { Args, Command } from "@oclif/core";
import { InvalidError } from "../src/core/errors.ts";
import { completionScript } from "../src/client/completion.ts";

export default class Completion extends Command {
  static override description = `Print a shell completion script for bash or zsh`;
  static override examples = [
    "source <(<%= config.bin %> completion bash)",
    "<%= config.bin %> completion zsh > \"${fpath[1]}/_galaxy\"",
  ];
  static override args = { shell: Args.string({ description: "bash or zsh", required: true, options: ["bash", "zsh"] }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    const commands = this.config.commands.filter((c) => !c.hidden).map((c) => ({
      id: c.id.replace(/:/g, " "),
      flags: Object.entries(c.flags ?? {}).map(([name, f]) => `--${name}${(f as { char?: string }).char ? ` -${(f as { char?: string }).char}` : ""}`),
    }));
    if (args.shell !== "bash" && args.shell !== "zsh") throw new InvalidError("shell must be bash or zsh");
    process.stdout.write(completionScript(args.shell, this.config.bin, commands));
  }
}
