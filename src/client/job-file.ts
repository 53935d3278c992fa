// Reading a job file named on the command line (`-f FILE`, `-` for stdin) with one clear error when it cannot be read.
import { readFileSync } from "node:fs";
import { InvalidError } from "../core/errors.ts";

export function readJobText(file: string): string {
  try {
    return file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
  } catch (e) {
    throw new InvalidError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
