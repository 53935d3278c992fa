import { Command } from "@oclif/core";
import pkg from "../package.json" with { type: "json" };

export default class Version extends Command {
  static override description = "Print the version of this galaxy executable";
  static override examples = ["<%= config.bin %> version"];

  async run(): Promise<void> {
    await this.parse(Version);
    this.log(`galaxy ${pkg.version}`);
  }
}
