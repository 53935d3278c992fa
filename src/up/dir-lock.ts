// One `galaxy up` per directory: DIR/up.lock is flock(2)ed for the whole life of `galaxy up` and holds its pid. A
// second `galaxy up` on the same DIR finds the lock taken and refuses before it touches anything (no role started,
// no client config written, nothing stopped). The kernel drops the lock when its holder dies, so a stale file of a
// dead process never blocks. The roles of a `galaxy up` killed with SIGKILL outlive it; a master among them still
// holds its election lock in DIR/cluster, and a new `galaxy up` refuses that directory too, naming that master's pid.
import { existsSync, ftruncateSync, mkdirSync, readFileSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseLeaderInfo } from "../cluster/cluster-dir.ts";
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
  const orphan = liveMaster(dir);
  if (orphan) {
    lock.release();
    throw new ConflictError(
      `${resolve(dir)} is in use by a ${orphan.role}${orphan.pid ? ` (pid ${orphan.pid})` : ""} that an earlier galaxy up left running; stop it first or give another --dir`,
    );
  }
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

/** A master whose election lock in DIR/cluster is held by a live process (none of ours runs yet); null when none. */
function liveMaster(dir: string): { role: string; pid: number } | null {
  for (const role of ["resman", "appmaster"]) {
    const path = join(resolve(dir), "cluster", `${role}.lock`);
    if (!existsSync(path)) continue;
    const probe = tryFlock(path);
    if (probe) {
      probe.release();
      continue;
    }
    return { role: role === "resman" ? "ResMan" : "AppMaster", pid: parseLeaderInfo(readHolder(join(resolve(dir), "cluster", `${role}.leader`)))?.pid ?? 0 };
  }
  return null;
}
