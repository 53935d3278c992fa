// The cluster directory (`--cluster-dir`): per master role R, `R.lock` (flock'd by the leader), `R.leader` (JSON
// LeaderInfo), `R.epoch` (the last epoch granted, decimal) and `R.epoch.lock` (guards the epoch read-modify-write);
// plus `secret` (the cluster secret, created once, mode 0600) and `naming/`. Every write is an atomic replace.
import { randomBytes } from "node:crypto";
import {
  closeSync, fchmodSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { InternalError, InvalidError } from "../core/errors.ts";

export type MasterRole = "resman" | "appmaster";
export const MASTER_ROLES: readonly MasterRole[] = ["resman", "appmaster"];

export interface LeaderInfo {
  addr: string;
  epoch: number;
  pid: number;
  /** When this leader won (its own clock, ms since the Unix epoch). */
  since: number;
  /** When this leader last renewed its lease (its own clock). */
  renewed: number;
}

export type RoleFile = "lock" | "leader" | "epoch" | "epoch.lock" | "state";

const SECRET_RE = /^[0-9a-f]{64}$/;

/** Parses a leader file; null when it is not a complete LeaderInfo. */
export function parseLeaderInfo(text: string): LeaderInfo | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  const num = (k: string) => typeof o[k] === "number" && Number.isFinite(o[k]);
  if (typeof o.addr !== "string" || !num("epoch") || !num("pid") || !num("since") || !num("renewed")) return null;
  return { addr: o.addr, epoch: o.epoch as number, pid: o.pid as number, since: o.since as number, renewed: o.renewed as number };
}

/**
 * What a master needs of "the cluster" besides its election: the leaders' addresses, the secret, and a place for
 * AppMaster's naming documents. A ClusterDir (files) or, with --etcd, an EtcdClusterView (etcd-cluster.ts).
 */
export interface ClusterView {
  /** For messages: the directory, or the etcd endpoints and prefix. */
  readonly path: string;
  readLeader(role: MasterRole): LeaderInfo | null;
  secret(): string;
  /** Replaces a naming document ("naming/<job>.json"). */
  writeFileAtomic(relPath: string, data: string): void;
  /** Removes one ("naming/<job>.json"); absent is fine. */
  removeFile(relPath: string): void;
}

export class ClusterDir implements ClusterView {
  private cachedSecret: string | null = null;

  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
  }

  /** Name of a role's file relative to the cluster directory, e.g. "resman.lock". */
  roleFile(role: MasterRole, file: RoleFile): string {
    return `${role}.${file}`;
  }

  /** Absolute path of a role's file. */
  rolePath(role: MasterRole, file: RoleFile): string {
    return join(this.path, this.roleFile(role, file));
  }

  readLeader(role: MasterRole): LeaderInfo | null {
    const text = readOrNull(this.rolePath(role, "leader"));
    return text === null ? null : parseLeaderInfo(text);
  }

  /** The last epoch granted for the role; 0 when none ever was. Throws InternalError on a corrupt file. */
  readEpoch(role: MasterRole): number {
    const text = readOrNull(this.rolePath(role, "epoch"));
    if (text === null) return 0;
    const t = text.trim();
    if (!/^\d+$/.test(t)) throw new InternalError(`corrupt epoch file ${this.rolePath(role, "epoch")}: ${JSON.stringify(t)}`);
    return Number(t);
  }

  /** A role file's text, or null when it does not exist. */
  readRoleFile(role: MasterRole, file: RoleFile): string | null {
    return readOrNull(this.rolePath(role, file));
  }

  /** The cluster secret (64 hex chars). Created once, atomically; every caller in every process sees the same value. */
  secret(): string {
    if (this.cachedSecret !== null) return this.cachedSecret;
    const p = join(this.path, "secret");
    let s = readOrNull(p);
    if (s === null) {
      this.createExclusive("secret", randomBytes(32).toString("hex") + "\n", 0o600);
      s = readOrNull(p);
    }
    const v = (s ?? "").trim();
    if (!SECRET_RE.test(v)) throw new InternalError(`corrupt cluster secret in ${p}`);
    this.cachedSecret = v;
    return v;
  }

  namingDir(): string {
    const p = join(this.path, "naming");
    mkdirSync(p, { recursive: true });
    return p;
  }

  removeFile(relPath: string): void {
    rmSync(this.resolveInside(relPath), { force: true });
  }

  /** Atomic file replace (write tmp + fsync + rename) — also used by AppMaster for naming files. */
  writeFileAtomic(relPath: string, data: string, mode = 0o644): void {
    this.writeFileAtomicIf(relPath, data, mode, () => true);
  }

  /**
   * Like writeFileAtomic, but calls `check` after the data is durable and just before the rename; when it returns
   * false the tmp file is removed and nothing changes. Returns whether the file was replaced.
   */
  writeFileAtomicIf(relPath: string, data: string, mode: number, check: () => boolean): boolean {
    const target = this.resolveInside(relPath);
    mkdirSync(dirname(target), { recursive: true });
    if (!renameIf(writeTmp(target, data, mode), target, check)) return false;
    fsyncDir(dirname(target));
    return true;
  }

  /**
   * writeFileAtomicIf with the write and both fsyncs off the event loop (a leader renews its lease every second:
   * a synchronous fsync there stalls every call the leader serves, for as long as the disk takes). `check` and
   * the rename still run back to back, synchronously.
   */
  async writeFileAtomicIfAsync(relPath: string, data: string, mode: number, check: () => boolean): Promise<boolean> {
    const target = this.resolveInside(relPath);
    if (!renameIf(await writeTmpAsync(target, data, mode), target, check)) return false;
    await fsyncDirAsync(dirname(target));
    return true;
  }

  /** Creates relPath with data unless it exists (link(2) fails with EEXIST); the loser keeps the winner's file. */
  private createExclusive(relPath: string, data: string, mode: number): void {
    const target = this.resolveInside(relPath);
    const tmp = writeTmp(target, data, mode);
    try {
      linkSync(tmp.path, target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      unlinkQuiet(tmp.path);
    }
    fsyncDir(dirname(target));
  }

  private resolveInside(relPath: string): string {
    const root = resolve(this.path);
    const p = resolve(root, relPath);
    if (!p.startsWith(root + sep)) throw new InvalidError(`path ${JSON.stringify(relPath)} is outside the cluster directory`);
    return p;
  }
}

/** A hidden tmp file beside `target`, written, chmod'ed and fsync'ed. */
function writeTmp(target: string, data: string, mode: number): { path: string } {
  const path = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  const fd = openSync(path, "wx", mode);
  try {
    fchmodSync(fd, mode); // the umask may have narrowed (or we want exactly) the mode
    writeSync(fd, data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkQuiet(path);
    throw e;
  }
  closeSync(fd);
  return { path };
}

/** Renames the tmp file over target when `check` allows, else removes it; true when target was replaced. */
function renameIf(tmp: { path: string }, target: string, check: () => boolean): boolean {
  try {
    if (!check()) return false;
    renameSync(tmp.path, target);
    tmp.path = "";
    return true;
  } finally {
    if (tmp.path) unlinkQuiet(tmp.path);
  }
}

/** writeTmp on the thread pool. */
async function writeTmpAsync(target: string, data: string, mode: number): Promise<{ path: string }> {
  const path = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  const fh = await open(path, "wx", mode);
  try {
    await fh.chmod(mode);
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    unlinkQuiet(path);
    throw e;
  }
  await fh.close();
  return { path };
}

async function fsyncDirAsync(dir: string): Promise<void> {
  try {
    const fh = await open(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // best effort: some file systems refuse fsync on a directory
  }
}

function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // best effort: some file systems refuse fsync on a directory
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

export function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
