// Packages: download (file://, http://, https://) with retries and a timeout, verify the tar.gz, unpack with the
// system tar into a directory per version, then point `dest` at it. The previous version stays beside it, so a
// rollback needs no download.
//
//   <workspace>/.galaxy/pkg/<dest key>/<version key>.tar.gz   the archive
//   <workspace>/.galaxy/pkg/<dest key>/<version key>/         its unpacked tree
//   <workspace>/<dest> -> .galaxy/pkg/<dest key>/<version key>   (a symlink swapped atomically; dest "." is unpacked in place)
// With a task identity (the agent runs tasks unprivileged), the unpacking and the swap run as the task (task-launch.ts):
// the tree is the task's to write, and the worker, root, never follows a path the task could have made a symlink.
import { createHash } from "node:crypto";
import {
  chownSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, symlinkSync, writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { PackageSpec } from "../core/jobspec.ts";
import { readRefusal, statOf } from "./file-access.ts";
import { launchArgv, type TaskIdentity } from "./task-launch.ts";

export interface FetchOptions {
  /** Per attempt. */
  timeoutMs: number;
  attempts: number;
  /** Back-off before attempt n+1 is backoffMs * 2^(n-1). */
  backoffMs: number;
  signal?: AbortSignal;
  log?: (msg: string) => void;
  /** where the host's / is (GALAXY_HOST_ROOT: a namespace hides parts of it); file:// paths are read there */
  hostRoot?: string;
  /** the task's user: a file:// source must be readable by it (the worker reads as root) */
  readAs?: { uid: number; gid: number };
}

export const DEFAULT_FETCH: FetchOptions = { timeoutMs: 60_000, attempts: 3, backoffMs: 1000 };

export interface PreparedPackage {
  spec: PackageSpec;
  workspace: string;
  dest: string;
  root: string; // .galaxy/pkg/<dest key>
  vkey: string;
  archive: string;
  dir: string;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_") || "_";

export function packagePaths(workspace: string, pkg: PackageSpec): PreparedPackage {
  const key = pkg.dest === "." ? "_workspace" : safe(pkg.dest);
  const root = join(workspace, ".galaxy", "pkg", key);
  const vkey = `${safe(pkg.version || "v")}-${createHash("sha1").update(pkg.source).digest("hex").slice(0, 8)}`;
  return { spec: pkg, workspace, dest: join(workspace, pkg.dest), root, vkey, archive: join(root, `${vkey}.tar.gz`), dir: join(root, vkey) };
}

/** Downloads (unless cached), verifies and unpacks one package; does not touch `dest` yet. */
export async function preparePackage(workspace: string, pkg: PackageSpec, o: FetchOptions = DEFAULT_FETCH, id: TaskIdentity | null = null): Promise<PreparedPackage> {
  const p = packagePaths(workspace, pkg);
  mkdirSync(p.root, { recursive: true });
  const readAs = id?.drop ? { uid: id.uid, gid: id.gid } : undefined;
  if (!existsSync(p.archive)) await downloadWithRetries(pkg.source, p.archive, readAs ? { ...o, readAs } : o);
  await verifyTarGz(p.archive);
  if (pkg.dest !== "." && !existsSync(p.dir)) {
    const tmp = `${p.dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    if (id?.drop) chownSync(tmp, id.uid, id.gid);
    await tar(["-xzf", relative(workspace, p.archive), "-C", relative(workspace, tmp), "--no-same-owner"], workspace, id);
    renameSync(tmp, p.dir);
  }
  return p;
}

/** Makes `dest` the prepared version (atomic symlink swap) and drops versions older than the previous one. */
export async function activatePackage(p: PreparedPackage, id: TaskIdentity | null = null): Promise<void> {
  if (p.spec.dest === "." && id?.drop) {
    // as the task, into its own directory, then copied over the workspace (tar would try to change the mode of ".")
    const tmp = `${p.dir}.dot-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    chownSync(tmp, id.uid, id.gid);
    try {
      await tar(["-xzf", relative(p.workspace, p.archive), "-C", relative(p.workspace, tmp), "--no-same-owner"], p.workspace, id);
      await run(launchArgv(["cp", "-R", `${relative(p.workspace, tmp)}/.`, "."], id), p.workspace);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  } else if (p.spec.dest === ".") {
    await tar(["-xzf", p.archive, "-C", p.dest, "--no-same-owner"], p.workspace);
  } else if (id?.drop) {
    await run(launchArgv(["/bin/sh", "-c", SWAP, "galaxy-swap", relative(p.workspace, p.dest), relative(dirname(p.dest), p.dir)], id), p.workspace);
  } else {
    mkdirSync(dirname(p.dest), { recursive: true });
    const link = `${p.dest}.link-${process.pid}`;
    rmSync(link, { force: true });
    symlinkSync(relative(dirname(p.dest), p.dir), link);
    if (existsSync(p.dest) && !lstatSync(p.dest).isSymbolicLink()) rmSync(p.dest, { recursive: true, force: true });
    renameSync(link, p.dest);
  }
  prune(p);
}

/** Keeps the current and the previous version (by time of use), removes the rest. */
function prune(p: PreparedPackage): void {
  const stamp = join(p.root, "used");
  const used = existsSync(stamp) ? (JSON.parse(readFileSync(stamp, "utf8")) as string[]) : [];
  const keep = new Set([p.vkey, ...used.filter((v) => v !== p.vkey)].slice(0, 2));
  writeFileSync(stamp, JSON.stringify([...keep]));
  for (const name of readdirSync(p.root)) {
    if (name === "used") continue;
    const v = name.replace(/\.tar\.gz$/, "").replace(/\.tmp-\d+$/, "");
    if (!keep.has(v)) rmSync(join(p.root, name), { recursive: true, force: true });
  }
}

/** A file:// source the task's user may not read: retrying cannot help. */
class PackageAccessError extends Error {}

async function downloadWithRetries(source: string, to: string, o: FetchOptions): Promise<void> {
  let last = "";
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    if (o.signal?.aborted) throw new Error("deploy aborted");
    try {
      await download(source, to, o);
      return;
    } catch (e) {
      if (e instanceof PackageAccessError) throw new Error(`cannot use ${source}: ${e.message}`);
      last = (e as Error).message;
      o.log?.(`download of ${source} failed (attempt ${attempt} of ${o.attempts}): ${last}`);
      if (attempt < o.attempts) await sleepAbortable(o.backoffMs * 2 ** (attempt - 1), o.signal);
    }
  }
  throw new Error(`cannot download ${source} after ${o.attempts} attempts: ${last}`);
}

async function download(source: string, to: string, o: FetchOptions): Promise<void> {
  const part = `${to}.part`;
  rmSync(part, { force: true });
  if (source.startsWith("file://")) {
    const path = `${o.hostRoot ?? ""}${fileURLToPath(source)}`;
    if (!existsSync(path)) throw new Error(`${fileURLToPath(source)} does not exist`);
    const refused = o.readAs ? readRefusal(fileURLToPath(source), o.readAs.uid, o.readAs.gid, statOf, o.hostRoot ?? "") : null;
    if (refused) throw new PackageAccessError(refused);
    await Bun.write(part, Bun.file(path));
  } else {
    const signals = [AbortSignal.timeout(o.timeoutMs), ...(o.signal ? [o.signal] : [])];
    let res: Response;
    try {
      res = await fetch(source, { signal: AbortSignal.any(signals), redirect: "follow" });
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      await Bun.write(part, await res.arrayBuffer());
    } catch (e) {
      const err = e as Error;
      if (err.name === "TimeoutError" || (err.name === "AbortError" && !o.signal?.aborted)) throw new Error(`timed out after ${o.timeoutMs} ms`);
      throw err;
    }
  }
  renameSync(part, to);
}

/** A gzip stream (magic 1f 8b) that tar can list. */
export async function verifyTarGz(path: string): Promise<void> {
  const head = Buffer.alloc(2);
  const fd = openSync(path, "r");
  try {
    readSync(fd, head, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    rmSync(path, { force: true });
    throw new Error(`${path.split("/").pop()} is not a tar.gz (no gzip header)`);
  }
  try {
    await tar(["-tzf", path], dirname(path));
  } catch (e) {
    rmSync(path, { force: true });
    throw new Error(`${path.split("/").pop()} is not a valid tar.gz: ${(e as Error).message}`);
  }
}

/** The symlink swap of activatePackage, as a shell script run as the task: $1 the dest, $2 the link's target. */
const SWAP = `mkdir -p "$(dirname "$1")" && ln -sfn "$2" "$1.link-$$" && { [ -L "$1" ] || rm -rf "$1"; } && mv -Tf "$1.link-$$" "$1"`;

/** tar in `cwd` (paths relative to the workspace: a task may not traverse the directories above it), as the task. */
function tar(args: string[], cwd: string, id: TaskIdentity | null = null): Promise<void> {
  return run(id ? launchArgv(["tar", ...args], id) : ["tar", ...args], cwd);
}

/** Runs argv in `cwd` with only PATH in its environment (never the worker's credential); throws with its last error line. */
async function run(argv: string[], cwd: string): Promise<void> {
  const proc = Bun.spawn(argv, { cwd, stdout: "ignore", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  if (code !== 0) throw new Error(err.trim().split("\n").slice(-1)[0] || `${argv.includes("tar") ? "tar" : argv[0]} exited ${code}`);
}

function sleepAbortable(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}
