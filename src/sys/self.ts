// How this executable runs itself again (the agent starts `galaxy appworker`; `galaxy up` starts every role).
import { join } from "node:path";

/** True inside the `bun build --compile` executable (its modules live under /$bunfs). */
export const isCompiled = (): boolean => import.meta.path.startsWith("/$bunfs") || import.meta.path.startsWith("B:/~BUN");

/** argv prefix that starts `galaxy`: the executable itself, or bun + src/main.ts when run from source. */
export function selfCommand(): string[] {
  if (isCompiled()) return [process.execPath];
  return [process.execPath, join(import.meta.dir, "..", "main.ts")];
}
