// One `galaxy up` per directory: DIR/up.lock is flock(2)ed for the whole life of `galaxy up` and holds its pid. A
// second `galaxy up` on the same DIR finds the lock taken and refuses before it touches anything (no role started,
// no client config written, nothing stopped). The kernel drops the lock when its holder dies, so a stale file of a
// dead process never blocks.
import { ftruncateSync, mkdirSync, readFileSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { tryFlock, type FileLock } from "../cluster/lock.ts";
import { ConflictError } from "../core/errors.ts";

export const upLockPath = (dir: string): string => join(resolve(dir), "up.lock");

/** Pure: the sentence a second `galaxy up` prints; `content` is what the lock file holds (the holder's pid). */
export function heldMessage(dir: string, content: string): string {
  const pid = /^\s*(\d+)\s*$/.exec(content)?.[1];
  const who = pid ? `galaxy up (pid ${pid})` : "galaxy up";
  return `${resolve(dir)} is in use by another ${who}; stop it first or give another --dir`;
}

/** Takes DIR's lock (creating DIR) and writes our pid in it; throws ConflictError naming the holder when it is taken. */
export function lockUpDir(dir: string, pid = process.pid): FileLock {
  mkdirSync(resolve(dir), { recursive: true });
  const path = upLockPath(dir);
  const lock = tryFlock(path);
  if (!lock) throw new ConflictError(heldMessage(dir, readHolder(path)));
  ftruncateSync(lock.fd, 0);
  writeSync(lock.fd, `${pid}\n`); // O_APPEND: lands at offset 0 of the emptied file
  return lock;
}

function readHolder(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
