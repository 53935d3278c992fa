// Volumes on the host: directories, tmpfs mounts of a volume's size, bind-mount points, usage, and unmounting.
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmdirSync, statfsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { VolumePlan } from "./volumes.ts";

export const isRoot = (): boolean => process.getuid?.() === 0;

function run(argv: string[]): { ok: boolean; err: string } {
  const r = Bun.spawnSync(argv, { stdio: ["ignore", "ignore", "pipe"] });
  return { ok: r.exitCode === 0, err: r.stderr.toString().trim() };
}

/** Mount points in /proc/self/mountinfo (octal escapes decoded), in mount order. */
export function mountPoints(text = readFileSync("/proc/self/mountinfo", "utf8")): string[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => (l.split(" ")[4] ?? "").replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

export const isMountPoint = (path: string): boolean => mountPoints().includes(path);

/** Mount points at or below dir, deepest first (the order umount needs). */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  return [...new Set(mountPoints().filter((m) => m === dir || m.startsWith(prefix)))].sort((a, b) => b.length - a.length);
}

/** Creates the volume's directory; a tmpfs volume becomes a tmpfs of its size (needs root; else a plain directory). */
export function prepareVolume(v: VolumePlan): void {
  mkdirSync(v.hostPath, { recursive: true });
  if (v.kind !== "tmpfs" || !isRoot() || isMountPoint(v.hostPath)) return;
  const r = run(["mount", "-t", "tmpfs", "-o", `size=${Math.max(4096, v.size)},mode=0755`, "galaxy-volume", v.hostPath]);
  if (!r.ok) throw new Error(`cannot mount a tmpfs of ${v.size} bytes at ${v.hostPath}: ${r.err}`);
}

/** Unmounts (lazily when busy); a path that is not a mount point is fine. */
export function unmount(path: string): void {
  if (!isMountPoint(path)) return;
  if (run(["umount", path]).ok) return;
  const r = run(["umount", "-l", path]);
  if (!r.ok && isMountPoint(path)) throw new Error(`cannot unmount ${path}: ${r.err}`);
}

/** mkdir -p that returns the directories it created, outermost first (to remove them later, innermost first). */
export function makeMountPoint(path: string): string[] {
  const missing: string[] = [];
  for (let p = path; !existsSync(p); p = dirname(p)) missing.unshift(p);
  if (missing.length > 0) mkdirSync(path, { recursive: true });
  return missing;
}

/** Removes directories made by makeMountPoint, innermost first, while they are empty. */
export function removeEmptyDirs(dirs: readonly string[]): void {
  for (const d of [...dirs].reverse()) {
    try {
      if (readdirSync(d).length > 0 || isMountPoint(d)) return;
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

/** Bytes used on the filesystem holding path (a tmpfs volume, a device). */
export function fsUsed(path: string): number {
  try {
    const s = statfsSync(path);
    return (s.blocks - s.bfree) * s.bsize;
  } catch {
    return 0;
  }
}

export function fsFree(path: string): number {
  try {
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  } catch {
    return 0;
  }
}

/** Bytes a directory tree takes on disk (`du`), off the event loop; 0 when it is missing. */
export async function dirUsage(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  const p = Bun.spawn(["du", "-s", "-B1", "-x", path], { stdout: "pipe", stderr: "ignore" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  const n = Number(out.split(/\s/)[0]);
  return Number.isFinite(n) ? n : 0;
}

/** What a volume holds now: a tmpfs by its filesystem, a directory by du. */
export async function volumeUsage(v: VolumePlan): Promise<number> {
  return v.kind === "tmpfs" && isMountPoint(v.hostPath) ? fsUsed(v.hostPath) : dirUsage(v.hostPath);
}

/** "MAJ:MIN" of a stat's st_dev (Linux's encoding: 12 bits of major, 20 of minor, split). */
export function devNumber(dev: number): string {
  const major = Number((BigInt(dev) >> 8n) & 0xfffn) | Number((BigInt(dev) >> 32n) & ~0xfffn);
  const minor = Number(BigInt(dev) & 0xffn) | Number((BigInt(dev) >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/**
 * The whole block devices ("MAJ:MIN") holding these paths (the nearest existing ancestor of each), for io throttles:
 * a partition becomes its disk (v1 blkio throttles whole disks), and a filesystem without a block device (tmpfs,
 * overlay: major 0) is left out.
 */
export function blockDevicesOf(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    let at = p;
    while (!existsSync(at) && at !== dirname(at)) at = dirname(at);
    let id: string;
    try {
      id = devNumber(Number(statSync(at).dev));
    } catch {
      continue;
    }
    if (id.startsWith("0:")) continue;
    const disk = wholeDisk(id);
    if (disk) out.add(disk);
  }
  return [...out].sort();
}

function wholeDisk(id: string): string | null {
  const sys = `/sys/dev/block/${id}`;
  if (!existsSync(sys)) return null;
  if (!existsSync(join(sys, "partition"))) return id;
  try {
    return readFileSync(join(realpathSync(sys), "..", "dev"), "utf8").trim();
  } catch {
    return id;
  }
}

/** What of the io limits this host's cgroups cannot enforce, one sentence each (for `galaxy agents`). */
export function ioCannotEnforce(kind: string, root = "/sys/fs/cgroup"): string[] {
  if (kind === "none") return ["io: no cgroups (io weight and throttles are not enforced)"];
  if (kind === "cgroup-v1") {
    const dir = join(root, "blkio");
    if (!existsSync(dir)) return ["io: no blkio controller (io weight and throttles are not enforced)"];
    const out: string[] = [];
    if (!existsSync(join(dir, "blkio.weight")) && !existsSync(join(dir, "blkio.bfq.weight"))) out.push("io weight: no blkio.weight (io weights are not enforced)");
    if (!existsSync(join(dir, "blkio.throttle.write_bps_device"))) out.push("io throttles: no blkio.throttle files");
    else out.push("io throttles: direct io only (buffered writes are throttled when written back, outside the container's cgroup)");
    return out;
  }
  const controllers = readIfPresent(join(root, "cgroup.controllers"));
  if (!controllers.split(/\s+/).includes("io")) return ["io: no io controller (io weight and throttles are not enforced)"];
  const out: string[] = [];
  if (!existsSync(join(root, "io.cost.qos")) && !existsSync(join(root, "io.bfq.weight"))) out.push("io weight: no io.weight (no iocost or BFQ)");
  return out;
}

function readIfPresent(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
