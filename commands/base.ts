// Shared plumbing for client commands: connection flags, --json, and the error funnel (one sentence on stderr;
// exit 2 for bad usage or a bad file, 1 for a refused or failed request).
import { Command, Flags } from "@oclif/core";
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
  protected cfg!: ClientConfig;

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
    const f = describeError(err, this.config.bin);
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
