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

export const connectionFlags = {
  appmaster: Flags.string({ description: "AppMaster addresses HOST:PORT[,…] (or GALAXY_APPMASTER)", helpGroup: "CONNECTION" }),
  resman: Flags.string({ description: "ResMan addresses HOST:PORT[,…] (or GALAXY_RESMAN)", helpGroup: "CONNECTION" }),
  "cluster-dir": Flags.string({ description: "cluster directory with leader files (or GALAXY_CLUSTER_DIR)", helpGroup: "CONNECTION" }),
  user: Flags.string({ description: "user name (or GALAXY_USER)", helpGroup: "CONNECTION" }),
  token: Flags.string({ description: "user token (or GALAXY_TOKEN)", helpGroup: "CONNECTION" }),
};

export const jsonFlag = { json: Flags.boolean({ description: "print JSON (stable field names) instead of a table" }) };

export abstract class ClientCommand extends Command {
  static override baseFlags = connectionFlags;
  /** Arguments that may be empty (every other one names something: an empty id would match everything). */
  static emptyArgs: readonly string[] = [];
  protected cfg!: ClientConfig;

  /** oclif's parse, then the checks every client command shares, all before any request: no argument is empty. */
  protected override async parse<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(
    options?: Input<F, B, A>,
    argv?: string[],
  ): Promise<ParserOutput<F, B, A>> {
    const out = await super.parse(options, argv);
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

  protected printJson(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + "\n");
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
