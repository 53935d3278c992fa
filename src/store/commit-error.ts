// What a failed commit tells the caller: one sentence saying the change was not made and why. lmdb-js rejects a
// failed commit with "Commit failed (see commitError for details)" and the reason in the promise `commitError`; on a
// full disk that reason is often only "Input/output error" (LMDB writes through its map), so the free space of the
// data dir decides too: a full disk or a full LMDB map is named as such.
import { statfsSync } from "node:fs";
import { UnavailableError } from "../core/errors.ts";

const DISK_FULL = /ENOSPC|No space left|MDB_MAP_FULL|map ?full|EDQUOT|quota exceeded/i;
/** Less free space than this in the data dir when a commit fails: the disk is full. */
export const DISK_FULL_BYTES = 16 * 1024 * 1024;

/** The reason behind a failed commit: lmdb-js's commitError when it settles soon, else the error's own message. */
export async function commitReason(e: unknown): Promise<string> {
  const inner = (e as { commitError?: unknown } | null)?.commitError;
  if (!(inner instanceof Promise)) return messageOf(e);
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve(""), 1000));
  const why = await Promise.race([inner.then(() => "", messageOf), timeout]);
  return why || messageOf(e);
}

function messageOf(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && !msg.includes(code) ? `${msg} (${code})` : msg;
}

/** Free bytes for an unprivileged writer in `dir`'s file system (Infinity when it cannot be read). */
export function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Infinity;
  }
}

/** "AppMaster's disk is full, so the change was not made" or "AppMaster could not commit the change (…), …". */
export function commitFailure(role: string, reason: string, free = Infinity): UnavailableError {
  if (DISK_FULL.test(reason) || free < DISK_FULL_BYTES) return new UnavailableError(`${role}'s disk is full, so the change was not made`);
  return new UnavailableError(`${role} could not commit the change (${reason}), so it was not made`);
}

/** The one sentence for a failed commit of `role`'s store in `dataDir`. */
export async function describeCommitFailure(role: string, e: unknown, dataDir: string | undefined): Promise<{ reason: string; error: UnavailableError }> {
  const reason = await commitReason(e);
  // with etcd there is no local data dir whose free space could be the cause
  return { reason, error: commitFailure(role, reason, dataDir ? freeBytes(dataDir) : Infinity) };
}
