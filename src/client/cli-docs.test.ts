import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { COMMANDS } from "../../commands/index.ts";
import { cliReference, commandSection, type CommandLike } from "./cli-docs.ts";

const commands = COMMANDS as unknown as Record<string, CommandLike>;

test("docs/cli.md is the reference generated from the commands (run: bun src/client/cli-docs.ts)", () => {
  const committed = readFileSync(join(import.meta.dir, "..", "..", "docs", "cli.md"), "utf8");
  expect(committed).toBe(cliReference(commands));
});

test("every command of the registry has a section with its flags and examples", () => {
  const doc = cliReference(commands);
  for (const id of Object.keys(commands).filter((id) => !commands[id]!.hidden)) expect(doc).toContain(`## galaxy ${id.replaceAll(":", " ")}\n`);
  const pods = commandSection("pods", commands.pods!).join("\n");
  expect(pods).toContain("`galaxy pods [JOB] [flags]`");
  expect(pods).toContain("| `-j, --job VALUE` |");
  expect(pods).toContain("| `JOB` | job id, unique id prefix, or name |");
  expect(pods).toContain("galaxy pods web");
  expect(commandSection("submit", commands.submit!).join("\n")).toContain("(required)");
});
