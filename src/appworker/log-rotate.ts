// Size-capped task logs: when logs/<task>.out grows past the cap it is copied to .out.1 (older ones shift to .2,
// .3, the oldest dropped) and truncated in place. Tasks write with O_APPEND, so they simply go on at the new end,
// and nothing needs the worker between writes: logs keep flowing through a worker restart.
import { copyFileSync, existsSync, renameSync, rmSync, statSync, truncateSync } from "node:fs";

export interface RotateOptions {
  maxBytes: number;
  keep: number;
}

export const DEFAULT_ROTATE: RotateOptions = { maxBytes: 10 * 1024 * 1024, keep: 3 };

/** Rotates `path` when it is over the cap; returns whether it did. */
export function rotateIfNeeded(path: string, o: RotateOptions = DEFAULT_ROTATE): boolean {
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    return false;
  }
  if (size <= o.maxBytes) return false;
  rmSync(`${path}.${o.keep}`, { force: true });
  for (let i = o.keep - 1; i >= 1; i--) if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  return true;
}
