#!/usr/bin/env bun
// The binary's entry: argv -> oclif with the explicit command registry.
// Inside a `bun build --compile` executable there is no package.json and no command file on disk
// (import.meta.dirname is /$bunfs/root), so pjson is passed inline and the explicit-strategy command cache is
// filled by hand; passing `plugins` makes oclif skip plugin discovery (no disk, no node_modules).
import type { Command, Interfaces } from "@oclif/core";
import pkg from "../package.json" with { type: "json" };
import { describeError } from "./client/errors.ts";

type Registry = Record<string, Command.Class>;

/**
 * The long-running processes on every host load only their own command: the whole registry (every client command,
 * the bench, the console's bundle) costs each process ~13 MiB of heap and ~30 MiB of the executable's pages, and
 * an agent host runs two of them (issue 22's per-host budget). Everything else loads the registry.
 */
const HOST_ROLES: Record<string, () => Promise<Registry>> = {
  agent: async () => ({ agent: (await import("../commands/agent.ts")).default }),
  appworker: async () => ({ appworker: (await import("../commands/appworker.ts")).default }),
};

async function registry(argv: readonly string[]): Promise<Registry> {
  // `galaxy agent --data-dir ...` runs the role; `galaxy agent show X` (a topic's command) and help take the registry
  const flag = argv[1];
  const runsRole = flag !== undefined && flag.startsWith("-") && flag !== "--help" && flag !== "-h";
  const role = runsRole ? HOST_ROLES[argv[0] ?? ""] : undefined;
  return role ? role() : (await import("../commands/index.ts")).COMMANDS;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  // the worker with its plain arguments needs no CLI framework at all (~6 MiB of heap less per host worker)
  if (argv[0] === "appworker") {
    const { plainWorkerArgs, runAppWorker } = await import("./appworker/main.ts");
    const plain = plainWorkerArgs(argv.slice(1));
    if (plain) return runAppWorker(plain);
  }
  const { Plugin, run } = await import("@oclif/core");
  const root = import.meta.dirname;
  const pjson = pkg as unknown as Interfaces.PJSON;
  const plugin = new Plugin({ root, pjson, isRoot: true });
  (plugin as unknown as { commandCache: Registry }).commandCache = await registry(argv);
  await plugin.load();
  await run(argv, { root, pjson, plugins: new Map([[plugin.name, plugin]]) });
}

if (import.meta.main) {
  await main()
    .then(async () => (await import("@oclif/core")).flush())
    .catch(async (err) => {
      const { handle } = await import("@oclif/core");
      const f = describeError(err, "galaxy", Object.keys((await import("../commands/index.ts")).COMMANDS));
      if (!f) return handle(err);
      process.stderr.write(`Error: ${f.message}\n`);
      process.exitCode = f.exit;
    });
}
