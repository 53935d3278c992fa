// When each byte of a task's log was written, roughly (for `galaxy logs --since` and `--timestamps`): every worker
// tick, a log that grew gets a line "<size> <ms>" appended to logs/<task>.<out|err>.idx; a byte at offset o was seen
// by the first entry with size > o. A log that shrank (rotated) starts its index again. When a task restarts, its
// logs (and indexes) become <task>.<out|err>.prev: `galaxy logs --previous` reads the last run.
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseIndex } from "../core/log-index.ts";

/** An index past this size keeps every other entry (coarser times, bounded size). */
const MAX_INDEX = 256 * 1024;

export class LogIndex {
  private readonly sizes = new Map<string, number>();

  constructor(private readonly logsDir: string) {}

  /** Records the sizes of the named tasks' logs that changed since the last sample. */
  sample(tasks: readonly string[], now: number): void {
    for (const t of tasks) for (const ext of ["out", "err"]) this.sampleFile(join(this.logsDir, `${t}.${ext}`), now);
  }

  private sampleFile(file: string, now: number): void {
    let size = 0;
    try {
      size = statSync(file).size;
    } catch {
      return;
    }
    const prev = this.sizes.get(file) ?? lastIndexedSize(`${file}.idx`);
    if (size === prev) return;
    this.sizes.set(file, size);
    try {
      if (size < prev) writeFileSync(`${file}.idx`, size ? `${size} ${now}\n` : "");
      else appendFileSync(`${file}.idx`, `${size} ${now}\n`);
      if (statSync(`${file}.idx`).size > MAX_INDEX) thin(`${file}.idx`);
    } catch {
      // an index is a convenience: a full disk must not stop the worker
    }
  }
}

/** A task restarts: its last run's logs become <task>.<ext>.prev (with their indexes); the new run starts empty. */
export function keepPreviousRun(logsDir: string, task: string): void {
  for (const ext of ["out", "err"]) {
    const file = join(logsDir, `${task}.${ext}`);
    try {
      if (existsSync(file)) renameSync(file, `${file}.prev`);
      if (existsSync(`${file}.idx`)) renameSync(`${file}.idx`, `${file}.prev.idx`);
      else rmSync(`${file}.prev.idx`, { force: true });
    } catch {
      // keeping the previous run is best effort; the task starts regardless
    }
  }
}

function lastIndexedSize(idx: string): number {
  try {
    return parseIndex(readFileSync(idx, "utf8")).at(-1)?.[0] ?? 0;
  } catch {
    return 0;
  }
}

function thin(idx: string): void {
  const entries = parseIndex(readFileSync(idx, "utf8"));
  const kept = entries.filter((_, i) => i % 2 === 1 || i === entries.length - 1);
  writeFileSync(idx, kept.map(([s, t]) => `${s} ${t}\n`).join(""));
}
