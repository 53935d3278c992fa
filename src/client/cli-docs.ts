// The CLI reference (docs/cli.md), generated from the commands' own help: description, usage, arguments, flags and
// examples of every command in the registry. `bun src/client/cli-docs.ts` rewrites the file; cli-docs.test.ts fails
// when the committed file no longer matches the commands.

interface FlagLike {
  char?: string;
  description?: string;
  default?: unknown;
  required?: boolean;
  multiple?: boolean;
  type?: string;
  helpGroup?: string;
  hidden?: boolean;
}
interface ArgLike {
  description?: string;
  required?: boolean;
}
export interface CommandLike {
  description?: string;
  summary?: string;
  examples?: (string | { command: string; description?: string })[];
  flags?: Record<string, FlagLike>;
  baseFlags?: Record<string, FlagLike>;
  args?: Record<string, ArgLike>;
  hidden?: boolean;
  strict?: boolean;
}

const BIN = "galaxy";

function flagLine(name: string, f: FlagLike): string {
  const short = f.char ? `-${f.char}, ` : "";
  const value = f.type === "boolean" ? "" : " VALUE";
  const def = f.default !== undefined && f.default !== "" && typeof f.default !== "function" && !(Array.isArray(f.default) && f.default.length === 0)
    ? ` (default: ${String(f.default)})`
    : "";
  const req = f.required ? " (required)" : "";
  const many = f.multiple && !(f.description ?? "").includes("repeatable") ? " (repeatable)" : "";
  const desc = (f.description ?? "").replaceAll("|", "\\|").replaceAll("\n", " ");
  return `| \`${short}--${name}${value}\` | ${desc}${req}${many}${def} |`;
}

function exampleLines(c: CommandLike): string[] {
  const ex = (c.examples ?? []).map((e) => (typeof e === "string" ? e : e.command).replaceAll("<%= config.bin %>", BIN));
  if (ex.length === 0) return [];
  return ["", "```sh", ...ex, "```"];
}

/** One command's section. */
export function commandSection(id: string, c: CommandLike): string[] {
  const words = id.split(":").join(" ");
  const args = Object.entries(c.args ?? {}).map(([n, a]) => (a.required ? n.toUpperCase() : `[${n.toUpperCase()}]`));
  const usage = `${BIN} ${words}${args.length ? " " + args.join(" ") : ""}${Object.keys(c.flags ?? {}).length ? " [flags]" : ""}`;
  const lines = [`## ${BIN} ${words}`, "", "`" + usage + "`", "", (c.description ?? c.summary ?? "").trim()];
  const argRows = Object.entries(c.args ?? {}).map(([n, a]) => `| \`${n.toUpperCase()}\` | ${(a.description ?? "").replaceAll("|", "\\|")}${a.required ? " (required)" : ""} |`);
  if (argRows.length) lines.push("", "| argument | meaning |", "|---|---|", ...argRows);
  const flags = Object.entries({ ...c.baseFlags, ...c.flags }).filter(([, f]) => !f.hidden && f.helpGroup !== "CONNECTION").sort(([a], [b]) => a.localeCompare(b));
  if (flags.length) lines.push("", "| flag | meaning |", "|---|---|", ...flags.map(([n, f]) => flagLine(n, f)));
  lines.push(...exampleLines(c));
  return lines;
}

/** The whole reference, commands in alphabetical order of their words. */
export function cliReference(commands: Record<string, CommandLike>): string {
  const ids = Object.keys(commands).filter((id) => !commands[id]!.hidden).sort((a, b) => a.replaceAll(":", " ").localeCompare(b.replaceAll(":", " ")));
  const out = [
    "# Command reference",
    "",
    "Generated from the commands' own `--help` by `bun src/client/cli-docs.ts` (a test fails when it is out of date).",
    "Every listing takes `--json`; ids take any unique prefix (jobs also their name). Errors are one sentence on stderr",
    "with exit status 1 (refused or failed request) or 2 (bad usage or a bad file).",
    "",
    "Every client command also takes the connection flags below; without them it reads the environment, then",
    "`~/.galaxy/config` (written by `galaxy up` and `galaxy login`).",
    "",
    "| flag | meaning |",
    "|---|---|",
    ...connectionFlags(commands),
    "",
    ...ids.map((id) => `- [\`${BIN} ${id.replaceAll(":", " ")}\`](#${anchor(id)})`),
  ];
  for (const id of ids) out.push("", ...commandSection(id, commands[id]!));
  return out.join("\n") + "\n";
}

function connectionFlags(commands: Record<string, CommandLike>): string[] {
  const seen = new Map<string, FlagLike>();
  for (const c of Object.values(commands)) {
    for (const [n, f] of Object.entries({ ...c.baseFlags, ...c.flags })) if (f.helpGroup === "CONNECTION" && !seen.has(n)) seen.set(n, f);
  }
  return [...seen].sort(([a], [b]) => a.localeCompare(b)).map(([n, f]) => flagLine(n, f));
}

/** GitHub's anchor of a `## \`galaxy a b\`` heading with its arguments. */
function anchor(id: string): string {
  return `galaxy-${id.replaceAll(":", "-")}`;
}

if (import.meta.main) {
  const { COMMANDS } = await import("../../commands/index.ts");
  const path = new URL("../../docs/cli.md", import.meta.url).pathname;
  await Bun.write(path, cliReference(COMMANDS as unknown as Record<string, CommandLike>));
  console.log(`wrote ${path}`);
}
