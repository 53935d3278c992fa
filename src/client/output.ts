// `-o json|yaml|wide` of every listing (--json is the short form of -o json): the machine formats are printed here,
// a table (wide or not) by the command.
import { stringify } from "yaml";

export interface OutputFlags {
  json?: boolean;
  output?: string;
}

/** json | yaml | table | wide */
export function outputFormat(flags: OutputFlags): "json" | "yaml" | "table" | "wide" {
  if (flags.json || flags.output === "json") return "json";
  if (flags.output === "yaml" || flags.output === "wide") return flags.output;
  return "table";
}

/** Prints `value` as JSON or YAML when asked, and says whether it did (false: the command prints its table). */
export function printOutput(flags: OutputFlags, value: unknown, write = (s: string) => void process.stdout.write(s)): boolean {
  const f = outputFormat(flags);
  if (f === "json") write(JSON.stringify(value, null, 2) + "\n");
  else if (f === "yaml") write(stringify(value));
  else return false;
  return true;
}
