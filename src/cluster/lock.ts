// flock(2) through bun:ffi (toolchain.md §4). The kernel releases the lock when its holder dies; locks belong to an
// open file description, so a second tryFlock on the same path in the same process also returns null.
// Bun opens files with O_CLOEXEC, so child processes never inherit a lock.
import { dlopen, FFIType, read } from "bun:ffi";
import { closeSync, fstatSync, openSync, statSync } from "node:fs";

const darwin = process.platform === "darwin";
const LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8, EINTR = 4;
const EWOULDBLOCK = darwin ? 35 : 11;

const libc = darwin
  ? dlopen("libc.dylib", {
      flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      __error: { args: [], returns: FFIType.ptr },
    })
  : dlopen("libc.so.6", {
      flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      __errno_location: { args: [], returns: FFIType.ptr },
    });

function errno(): number {
  const s = libc.symbols as Record<string, () => unknown>;
  const loc = (darwin ? s.__error! : s.__errno_location!)() as Parameters<typeof read.i32>[0];
  return read.i32(loc, 0);
}

function flock(fd: number, op: number): number {
  return (libc.symbols.flock as (fd: number, op: number) => number)(fd, op);
}

export interface FileLock {
  readonly fd: number;
  readonly path: string;
  /** Device and inode of the locked file, taken from the fd (not the path) when the lock was won. */
  readonly dev: bigint;
  readonly ino: bigint;
  /** True while `path` (or `atPath`) still names the very file this lock holds (nobody renamed over it). */
  isAt(atPath?: string): boolean;
  /** Unlock and close; idempotent. */
  release(): void;
}

/** Non-blocking: returns a held lock, or null if another open file description holds it. Creates the file. */
export function tryFlock(path: string): FileLock | null {
  const fd = openSync(path, "a"); // O_WRONLY|O_CREAT|O_APPEND (+O_CLOEXEC in Bun), never truncates
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) === 0) return heldLock(fd, path);
    const e = errno();
    if (e === EINTR) continue;
    closeSync(fd);
    if (e === EWOULDBLOCK) return null;
    throw new Error(`flock(${path}) failed: errno ${e}`);
  }
}

function heldLock(fd: number, path: string): FileLock {
  const st = fstatSync(fd, { bigint: true });
  let open = true;
  return {
    fd,
    path,
    dev: st.dev,
    ino: st.ino,
    isAt(atPath = path) {
      if (!open) return false;
      try {
        const now = statSync(atPath, { bigint: true });
        return now.ino === st.ino && now.dev === st.dev;
      } catch {
        return false;
      }
    },
    release() {
      if (!open) return;
      open = false;
      flock(fd, LOCK_UN);
      closeSync(fd);
    },
  };
}

/** Polls tryFlock every `stepMs` until it succeeds or `timeoutMs` passes (then null). For short critical sections. */
export async function acquireFlock(path: string, timeoutMs: number, stepMs = 2): Promise<FileLock | null> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const lock = tryFlock(path);
    if (lock) return lock;
    if (performance.now() >= deadline) return null;
    await Bun.sleep(stepMs);
  }
}
