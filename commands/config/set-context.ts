import { Args, Flags } from "@oclif/core";
import { configPath, DEFAULT_CONTEXT, readConfigFile, writeConfigFile } from "../../src/client/config.ts";
import { InvalidError } from "../../src/core/errors.ts";
import { ClientCommand, connectionFlags } from "../base.ts";

const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);

export default class ConfigSetContext extends ClientCommand {
  static override description = `Add or change a named cluster in the config file (only the settings given change)

Use it with --context NAME on any command, or make it the current one with \`galaxy config use-context NAME\`.
The top-level settings (written by galaxy up and galaxy login) are the context "default".`;
  static override examples = [
    "<%= config.bin %> config set-context prod --server 10.0.0.1:1647,10.0.0.2:1647 --resman 10.0.0.1:1645 --user alice --token s3cr3t",
    "<%= config.bin %> config set-context lab --cluster-dir /shared/galaxy --user bob --token t0k",
  ];
  static override args = { name: Args.string({ description: "context name", required: true }) };
  // --user, --token … are this context's settings here, not the connection's (the cast: oclif types baseFlags per class)
  static override baseFlags = {} as typeof connectionFlags;
  static override flags = {
    server: Flags.string({ description: "AppMaster addresses HOST:PORT[,…]" }),
    resman: Flags.string({ description: "ResMan addresses HOST:PORT[,…]" }),
    "cluster-dir": Flags.string({ description: "cluster directory with leader files" }),
    user: Flags.string({ description: "user name" }),
    token: Flags.string({ description: "user token" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigSetContext);
    if (args.name === DEFAULT_CONTEXT) throw new InvalidError(`"${DEFAULT_CONTEXT}" is the top-level settings; change them with \`galaxy config KEY VALUE\``);
    if (!/^[A-Za-z0-9_.-]+$/.test(args.name)) throw new InvalidError(`bad context name ${JSON.stringify(args.name)}; use letters, digits, _ . -`);
    const file = readConfigFile();
    const old = file.contexts?.[args.name];
    const ctx = { ...old };
    if (flags.server !== undefined) ctx.appmaster = list(flags.server);
    if (flags.resman !== undefined) ctx.resman = list(flags.resman);
    if (flags["cluster-dir"] !== undefined) ctx.clusterDir = flags["cluster-dir"];
    if (flags.user !== undefined) ctx.user = flags.user;
    if (flags.token !== undefined) ctx.token = flags.token;
    writeConfigFile({ ...file, contexts: { ...file.contexts, [args.name]: ctx } });
    this.log(`context ${args.name} ${old ? "changed" : "added"} in ${configPath()}`);
  }
}
