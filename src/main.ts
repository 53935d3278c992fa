#!/usr/bin/env bun
// The binary's entry: argv -> oclif with the explicit command registry.
// Inside a `bun build --compile` executable there is no package.json and no command file on disk
// (import.meta.dirname is /$bunfs/root), so pjson is passed inline and the explicit-strategy command cache is
// filled by hand; passing `plugins` makes oclif skip plugin discovery (no disk, no node_modules).
import { Plugin, flush, handle, run } from "@oclif/core";
import type { Interfaces } from "@oclif/core";
import pkg from "../package.json" with { type: "json" };
import { COMMANDS } from "../commands/index.ts";
import { describeError } from "./client/errors.ts";

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const root = import.meta.dirname;
  const pjson = pkg as unknown as Interfaces.PJSON;
  const plugin = new Plugin({ root, pjson, isRoot: true });
  (plugin as unknown as { commandCache: typeof COMMANDS }).commandCache = COMMANDS;
  await plugin.load();
  await run(argv, { root, pjson, plugins: new Map([[plugin.name, plugin]]) });
}

if (import.meta.main) {
  await main()
    .then(() => flush())
    .catch((err) => {
      const f = describeError(err, "galaxy", Object.keys(COMMANDS));
      if (!f) return handle(err);
      process.stderr.write(`Error: ${f.message}\n`);
      process.exitCode = f.exit;
    });
}
