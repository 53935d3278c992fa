// How this executable runs itself again (the agent starts `galaxy appworker`; `galaxy up` starts every role).
import { realpathSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";

/** True inside the `bun build --compile` executable (its modules live under /$bunfs). */
export const isCompiled = (): boolean => import.meta.path.startsWith("/$bunfs") || import.meta.path.startsWith("B:/~BUN");

/** argv prefix that starts `galaxy`: the executable itself, or bun + src/main.ts when run from source. */
export function selfCommand(): string[] {
  if (isCompiled()) return [process.execPath];
  return [process.execPath, join(import.meta.dir, "..", "main.ts")];
}

/** How a person in `cwd` types this executable: `galaxy` when that name on PATH is this file, else a path to it. */
export function commandName(cwd = process.cwd(), path = process.env.PATH ?? ""): string {
  if (!isCompiled()) return "bun src/main.ts";
  const exe = realpathOr(process.execPath);
  for (const dir of path.split(":").filter(Boolean)) {
    if (realpathOr(join(dir, "galaxy")) === exe) return "galaxy";
  }
  const rel = relative(cwd, exe);
  return rel.startsWith("..") || isAbsolute(rel) ? exe : `./${rel}`;
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
