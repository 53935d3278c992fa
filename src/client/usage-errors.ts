// oclif's usage errors as one readable sentence ("missing JOB; see `galaxy update --help`", "--timeout: '5x' is not
// a duration; …"), and "did you mean" for a mistyped command.
import { didYouMean } from "./did-you-mean.ts";

/** oclif's text of a failed parse, as one sentence; null when it is not one of the shapes known here. */
export function tidyUsage(text: string, bin: string, command = ""): string | null {
  const body = text.replace(/^The following error occurred:\s*/, "").replace(/\s*See more help with --help\s*$/, "");
  const help = `see \`${bin}${command ? ` ${command.replace(/:/g, " ")}` : ""} --help\``;
  const args = /^Missing \d+ required args?:\n([\s\S]*)$/.exec(body);
  if (args) {
    const names = args[1]!.split("\n").map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean).map((n) => n.toUpperCase());
    return `missing ${names.join(" and ")}; ${help}`;
  }
  const flag = /^Parsing --(\S+)\s*\n\s*([\s\S]+)$/.exec(body);
  if (flag) return `--${flag[1]}: ${flag[2]!.trim()}`;
  const unexpected = /^Unexpected arguments?: (.+)$/m.exec(body);
  if (unexpected) return `unexpected argument ${unexpected[1]!.trim()}; ${help}`;
  return null;
}

/** The hint after "unknown command X": the closest command, or the help. */
export function unknownCommandHint(word: string, bin: string, commands: readonly string[]): string {
  const near = didYouMean(word, commands);
  return near ? `did you mean \`${bin} ${near.replace(/:/g, " ")}\`?` : `see \`${bin} --help\``;
}
