import { Args } from "@oclif/core";
import { DEFAULT_CONTEXT, readConfigFile, writeConfigFile } from "../../src/client/config.ts";
import { InvalidError } from "../../src/core/errors.ts";
import { ClientCommand, connectionFlags } from "../base.ts";

export default class ConfigUseContext extends ClientCommand {
  static override description = `Make a context of the config file the current one (every command then talks to that cluster)`;
  static override examples = ["<%= config.bin %> config use-context prod", "<%= config.bin %> config use-context default"];
  static override baseFlags = {} as typeof connectionFlags; // no connection: only the file changes
  static override args = { name: Args.string({ description: "context name (default: the top-level settings)", required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(ConfigUseContext);
    const file = readConfigFile();
    if (args.name !== DEFAULT_CONTEXT && !file.contexts?.[args.name]) {
      const known = [DEFAULT_CONTEXT, ...Object.keys(file.contexts ?? {})].join(", ");
      throw new InvalidError(`no context ${JSON.stringify(args.name)}; known: ${known}; add one with \`galaxy config set-context\``);
    }
    const { currentContext, ...rest } = file;
    writeConfigFile(args.name === DEFAULT_CONTEXT ? rest : { ...rest, currentContext: args.name });
    this.log(`now using context ${args.name}`);
  }
}
