// Shared plumbing for client commands: connection flags, --json, and the error funnel (one sentence on stderr;
// exit 2 for bad usage or a bad file, 1 for a refused or failed request).
import { Command, Flags, type Interfaces } from "@oclif/core";

// oclif's parse() type parameters (not exported by name)
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type FlagOutput = { [name: string]: any };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ArgOutput = { [name: string]: any };
type Input<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput> = Interfaces.Input<F, B, A>;
type ParserOutput<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput> = Interfaces.ParserOutput<F, B, A>;
import { InvalidError } from "../src/core/errors.ts";
import { describeError } from "../src/client/errors.ts";
import { resolveConfig, type ClientConfig } from "../src/client/config.ts";
import { appmasterClient, resmanClient } from "../src/client/connect.ts";
import type { RpcClient } from "../src/rpc/index.ts";
import { setWideTables } from "../src/client/table.ts";
import { stringify } from "yaml";

export const connectionFlags = {
  context: Flags.string({ description: "a cluster of the config file (or GALAXY_CONTEXT; see galaxy config get-contexts)", helpGroup: "CONNECTION" }),
  appmaster: Flags.string({ description: "AppMaster addresses HOST:PORT[,…] (or GALAXY_APPMASTER)", helpGroup: "CONNECTION" }),
  resman: Flags.string({ description: "ResMan addresses HOST:PORT[,…] (or GALAXY_RESMAN)", helpGroup: "CONNECTION" }),
  "cluster-dir": Flags.string({ description: "cluster directory with leader files (or GALAXY_CLUSTER_DIR)", helpGroup: "CONNECTION" }),
  user: Flags.string({ description: "user name (or GALAXY_USER)", helpGroup: "CONNECTION" }),
  token: Flags.string({ description: "user token (or GALAXY_TOKEN)", helpGroup: "CONNECTION" }),
};

export const jsonFlag = { json: Flags.boolean({ description: "print JSON (stable field names) instead of a table" }) };

/** Every listing: --json, and -o json|yaml|wide (wide: more columns, nothing cut to the terminal's width). */
export const listFlags = {
  ...jsonFlag,
  output: Flags.string({ char: "o", description: "json | yaml (the JSON fields as YAML) | wide (more columns, nothing cut)", options: ["json", "yaml", "wide"] }),
};

/** --watch of jobs, pods and agents (watch-rounds: stop after N polls; for tests). */
export const watchFlags = {
  watch: Flags.boolean({ char: "w", description: "print the listing again whenever it changes, until Ctrl-C" }),
  "watch-rounds": Flags.integer({ hidden: true, min: 1 }),
};

export abstract class ClientCommand extends Command {
  static override baseFlags = connectionFlags;
  /** Arguments that may be empty (every other one names something: an empty id would match everything). */
  static emptyArgs: readonly string[] = [];
  protected cfg!: ClientConfig;
  /** -o wide */
  protected wide = false;
  private yaml = false;

  /** oclif's parse, then the checks every client command shares, all before any request: no argument is empty. */
  protected override async parse<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(
    options?: Input<F, B, A>,
    argv?: string[],
  ): Promise<ParserOutput<F, B, A>> {
    const out = await super.parse(options, argv);
    const flags = out.flags as Record<string, unknown>;
    const listing = (this.constructor as { flags?: Record<string, unknown> }).flags?.output === listFlags.output;
    if (listing && (flags.output === "json" || flags.output === "yaml")) {
      this.yaml = flags.output === "yaml";
      flags.json = true; // every --json path prints through printJson, which writes YAML for -o yaml
    }
    this.wide = setWideTables(flags.output === "wide");
    const allowed = (this.constructor as typeof ClientCommand).emptyArgs;
    for (const [name, value] of Object.entries(out.args as Record<string, unknown>)) {
      if (typeof value === "string" && value.trim() === "" && !allowed.includes(name)) {
        throw new InvalidError(`the ${name} argument is empty; give a ${name} id or name`);
      }
    }
    return out;
  }

  protected connect(flags: Record<string, unknown>): void {
    this.cfg = resolveConfig(flags as Parameters<typeof resolveConfig>[0]);
  }

  protected am(): RpcClient {
    return appmasterClient(this.cfg);
  }

  protected rm(): RpcClient {
    return resmanClient(this.cfg);
  }

  /**
   * A listing, once or (--watch) again on every change: `fetch` gives the JSON value and the table text; with --json
   * each change is one compact JSON line, on a terminal the screen is redrawn, otherwise the new table follows.
   */
  protected async listing(
    flags: { json?: boolean; watch?: boolean; "watch-rounds"?: number },
    fetch: () => Promise<{ value: unknown; text: string }>,
  ): Promise<void> {
    if (!flags.watch) {
      const r = await fetch();
      return flags.json ? this.printJson(r.value) : this.log(r.text);
    }
    const tty = !!process.stdout.isTTY && !flags.json;
    let last = "";
    for (let round = 1; ; round++) {
      const r = await fetch();
      const value = JSON.stringify(r.value); // a change of what is listed, not of an age ("3s ago")
      const text = flags.json ? value : r.text;
      if (value !== last) process.stdout.write(tty ? `\x1b[H\x1b[2J${text}\n` : `${last && !flags.json ? "\n" : ""}${text}\n`);
      last = value;
      if (flags["watch-rounds"] && round >= flags["watch-rounds"]) return;
      await Bun.sleep(2000);
    }
  }

  protected printJson(value: unknown): void {
    process.stdout.write(this.yaml ? stringify(value) : JSON.stringify(value, null, 2) + "\n");
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    const f = describeError(err, this.config.bin, [], this.id ?? "");
    if (!f) return super.catch(err);
    process.stderr.write(`Error: ${f.message}\n`);
    this.exit(f.exit); // throws oclif's ExitError: silent in main, and catchable by in-process tests
  }
}

/** For role commands: any failure to start is one sentence and exit 1. */
export function fatal(msg: string): never {
  process.stderr.write(`Error: ${msg}\n`);
  process.exit(1);
}
