import { Flags } from "@oclif/core";
import { configPath, readConfigFile, writeConfigFile } from "../src/client/config.ts";
import { resmanClient } from "../src/client/connect.ts";
import { InvalidError } from "../src/core/errors.ts";
import { ClientCommand } from "./base.ts";

export default class Login extends ClientCommand {
  static override description = `Check a user's token against ResMan and save it, with the cluster's addresses, in ~/.galaxy/config (mode 0600)`;
  static override examples = [
    "<%= config.bin %> login --user alice --token s3cr3t --appmaster 10.0.0.1:1647 --resman 10.0.0.1:1645",
    "GALAXY_TOKEN=s3cr3t <%= config.bin %> login --user alice --cluster-dir /shared/galaxy",
  ];

  async run(): Promise<void> {
    const { flags } = await this.parse(Login);
    this.connect(flags);
    if (!this.cfg.user || !this.cfg.token) throw new InvalidError("give --user and --token (or GALAXY_USER and GALAXY_TOKEN)");
    // Any authenticated call proves the token; ListGrants of oneself is allowed for every user.
    const client = resmanClient(this.cfg);
    await client.call("ResMan/ListGrants", { user: this.cfg.user });
    const old = readConfigFile();
    writeConfigFile({ ...old, ...this.cfg, followLeader: undefined });
    this.log(`Logged in as ${this.cfg.user}; saved to ${configPath()}`);
  }
}
