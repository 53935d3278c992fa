// The CLI's error funnel: every failure becomes one sentence on stderr and an exit code
// (2 for bad usage or a bad file, 1 for a refused or failed request), as cli.md requires.
import { isGalaxyError } from "../core/errors.ts";
import { tidyUsage, unknownCommandHint } from "./usage-errors.ts";

export interface CliFailure {
  message: string;
  exit: number;
}

/** Turns any error a command can meet into what the user sees, or null when oclif should handle it (help, exit). */
export function describeError(err: unknown, bin = "galaxy", commands: readonly string[] = [], command = ""): CliFailure | null {
  const e = err as Error & { code?: string; oclif?: { exit?: number }; parse?: unknown };
  if ((e as { code?: string })?.code === "EEXIT") return null; // oclif's ExitError (class names are minified away)
  if (isGalaxyError(err)) {
    let msg = tidyUsage(err.message, bin, command) ?? err.message; // a flag's own parse (commands/flags.ts) threw it
    const down = err.code === "UNAVAILABLE" ? err.details.service : undefined; // the service no address answered for
    if (down === "AppMaster") msg += `; is \`${bin} appmaster\` running? see \`${bin} status\``;
    else if (down === "ResMan") msg += `; is \`${bin} resman\` running?`;
    else if (err.code === "UNAUTHENTICATED") msg += `; check --user/--token or run \`${bin} login\``;
    return { message: msg, exit: err.code === "INVALID" ? 2 : 1 };
  }
  const text = String(e?.message ?? err);
  const notFound = /^command (\S+) not found/.exec(text);
  if (notFound) return { message: `unknown command ${JSON.stringify(notFound[1]!.replace(/:/g, " "))}; ${unknownCommandHint(notFound[1]!, bin, commands)}`, exit: 2 };
  if (e?.oclif?.exit === 2 || e?.parse) {
    // oclif's parse errors: "The following error occurred:\n  Missing required flag job\nSee more help with --help"
    const tidy = tidyUsage(text, bin, command);
    if (tidy) return { message: tidy, exit: 2 };
    const lines = text.split("\n").map((l) => l.trim()).filter((l) => l && !/^The following error/.test(l) && !/^See more help/.test(l));
    return { message: `${lines.join("; ")}; see --help`, exit: 2 };
  }
  return null;
}
