// Helpers shared by the bench commands: comma-list flags, progress on stderr, and the error funnel.
import { isGalaxyError, InvalidError } from "../../src/core/errors.ts";

export function listFlag<T extends string>(value: string, allowed: readonly T[], flag: string): T[] {
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const i of items) {
    if (!allowed.includes(i as T)) throw new InvalidError(`${flag}: ${JSON.stringify(i)} is not one of ${allowed.join(", ")}`);
  }
  if (items.length === 0) throw new InvalidError(`${flag} names nothing`);
  return items as T[];
}

/** Progress lines go to stderr, so stdout stays the table or the JSON. */
export const benchLog = (msg: string): void => {
  process.stderr.write(`bench: ${msg}\n`);
};

/** Runs a benchmark; a failure is one sentence on stderr and exit 2 (bad flags) or 1. */
export async function runBench(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`Error: ${err.message}\n`);
    process.exit(isGalaxyError(err) && err.code === "INVALID" ? 2 : 1);
  }
}
