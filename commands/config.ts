import { Args, Flags } from "@oclif/core";
import { configPath, readConfigFile, resolveConfig, writeConfigFile, type ClientConfig } from "../src/client/config.ts";
import { InvalidError } from "../src/core/errors.ts";
import { ClientCommand, jsonFlag } from "./base.ts";

const KEYS = ["appmaster", "resman", "clusterDir", "user", "token"] as const;
type Key = (typeof KEYS)[number];

export default class Config extends ClientCommand {
  static override emptyArgs = ["value"];
  static override description = `Show or change the client configuration (~/.galaxy/config, or $GALAXY_CONFIG)

With no arguments: the effective settings (flags > environment > file), token hidden.
Several clusters: galaxy config set-context / use-context / get-contexts, and --context NAME on any command.
With KEY: prints its effective value (the token only as "(set)"). With KEY VALUE: sets a key in the file. Keys: ${KEYS.join(", ")} (lists are comma-separated).
JSON fields: appmaster, resman, clusterDir, user, tokenSet, file`;
  static override examples = [
    "<%= config.bin %> config",
    "<%= config.bin %> config appmaster 10.0.0.1:1647,10.0.0.2:1647",
    "<%= config.bin %> config user",
    "<%= config.bin %> config user alice",
  ];
  static override args = {
    key: Args.string({ description: `one of ${KEYS.join(", ")}`, required: false }),
    value: Args.string({ description: "new value", required: false }),
  };
  static override flags = { ...jsonFlag, unset: Flags.boolean({ description: "remove KEY from the file" }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Config);
    const cfg = args.key && (args.value !== undefined || flags.unset) ? null : resolveConfig(flags);
    if (!cfg) return this.set(args.key!, args.value, flags.unset);
    if (args.key) return this.get(args.key, cfg, flags.json);
    const shown = { appmaster: cfg.appmaster, resman: cfg.resman, clusterDir: cfg.clusterDir, user: cfg.user, tokenSet: !!cfg.token, file: configPath() };
    if (flags.json) return this.printJson(shown);
    this.log(`file        ${shown.file}`);
    this.log(`context     ${flags.context ?? process.env.GALAXY_CONTEXT ?? readConfigFile().currentContext ?? "default"}`);
    this.log(`appmaster   ${cfg.appmaster.join(",") || "(default 127.0.0.1:1647)"}`);
    this.log(`resman      ${cfg.resman.join(",") || "(default 127.0.0.1:1645)"}`);
    this.log(`clusterDir  ${cfg.clusterDir || "-"}`);
    this.log(`user        ${cfg.user || "-"}`);
    this.log(`token       ${cfg.token ? "(set)" : "-"}`);
  }

  private get(key: string, cfg: ClientConfig, json: boolean): void {
    if (!(KEYS as readonly string[]).includes(key)) throw new InvalidError(`unknown key ${JSON.stringify(key)}; use one of ${KEYS.join(", ")}`);
    const v = cfg[key as Key];
    if (json) return this.printJson(key === "token" ? !!v : v);
    this.log(key === "token" ? (v ? "(set)" : "-") : Array.isArray(v) ? v.join(",") : v || "-");
  }

  private set(key: string, value: string | undefined, unset: boolean): void {
    if (!(KEYS as readonly string[]).includes(key)) throw new InvalidError(`unknown key ${JSON.stringify(key)}; use one of ${KEYS.join(", ")}`);
    if (!unset && value === undefined) throw new InvalidError(`give a value for ${key}, or --unset`);
    const file: Partial<ClientConfig> = readConfigFile();
    const k = key as Key;
    if (unset) delete file[k];
    else if (k === "appmaster" || k === "resman") file[k] = value!.split(",").map((x) => x.trim()).filter(Boolean);
    else file[k] = value!;
    writeConfigFile(file);
    this.log(unset ? `${key} removed` : `${key} set`);
  }
}
