// May a task's user read a host file? The worker reads file:// packages as root (through the host's / on fd 7), so
// without this check a tenant could name any host file (another tenant's package, a key) as its package source.
// The rule is the kernel's, for a process with only uid:gid (no supplementary groups, no capabilities, as setpriv
// leaves a task): every directory on the way needs x, the file needs r, judged by the owner bits when it owns the
// inode, the group bits when its gid is the inode's, else the others' bits.
import { statSync } from "node:fs";

export interface ModeOwner {
  mode: number;
  uid: number;
  gid: number;
  isDirectory: boolean;
}

/** The bits (r=4, w=2, x=1) that apply to uid:gid on an inode. */
export function bitsFor(st: ModeOwner, uid: number, gid: number): number {
  if (st.uid === uid) return (st.mode >> 6) & 7;
  if (st.gid === gid) return (st.mode >> 3) & 7;
  return st.mode & 7;
}

/**
 * null when uid:gid may read `path` (absolute, as the task names it), else why not. `stat` follows symbolic links
 * and is given the path under `root` (where the host's / is for the worker).
 */
export function readRefusal(path: string, uid: number, gid: number, stat: (p: string) => ModeOwner | null, root = ""): string | null {
  const parts = path.split("/").filter(Boolean);
  let at = "";
  for (let i = 0; i < parts.length; i++) {
    at += `/${parts[i]}`;
    const st = stat(`${root}${at}`);
    if (!st) return `${at} does not exist`;
    const last = i === parts.length - 1;
    if (!last && !st.isDirectory) return `${at} is not a directory`;
    if (!last && (bitsFor(st, uid, gid) & 1) === 0) return `the task's user (uid ${uid}) may not enter ${at}`;
    if (last && (st.isDirectory || (bitsFor(st, uid, gid) & 4) === 0)) return `the task's user (uid ${uid}) may not read ${path}`;
  }
  return null;
}

export function statOf(p: string): ModeOwner | null {
  try {
    const s = statSync(p);
    return { mode: s.mode, uid: s.uid, gid: s.gid, isDirectory: s.isDirectory() };
  } catch {
    return null;
  }
}
