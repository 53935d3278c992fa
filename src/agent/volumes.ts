// Volumes, pure: the agent's devices (`--volume MEDIUM:PATH:SIZE`), where each container volume lives on the host,
// the environment that names it, and whether a container is over a size (with a grace period before the kill).
//
//   cap.volumes ──planVolumes──► VolumePlan[]   tmpfs:     <data>/volumes/<cid>/<i>        (a tmpfs mount of its size)
//                                               disk/ssd:  <device>/galaxy/<agent>/<cid>/<i> (the device ResMan bound it
//                                                          to; a cap without a binding (an older ResMan): the emptiest
//                                                          device of the medium; else <data>/volumes/<cid>/<i>)
//                                               persistent: <root>/persistent/<cid>/<path, encoded> (kept when the
//                                                          container goes; persistent.ts reports and deletes it)
import { isAbsolute, join, normalize } from "node:path";
import { InvalidError } from "../core/errors.ts";
import { formatDuration, formatSize, parseSize } from "../core/units.ts";
import type { Cap } from "../rpc/types.ts";

export interface VolumeDevice {
  medium: "disk" | "ssd";
  path: string;
  size: number;
}

export interface VolumePlan {
  /** where the container sees it (its path in the job file); "" for the workspace */
  path: string;
  /** where it lives on the host */
  hostPath: string;
  medium: string;
  size: number;
  kind: "tmpfs" | "dir";
  readonly: boolean;
  /** Its data outlives the container: never deleted with it (persistent.ts). */
  persistent?: boolean;
  /** Persistent: the device it is on ("" for the data directory) and how long it is kept after its job is removed. */
  device?: string;
  retentionMs?: number;
}

/** The directory holding persistent volumes' data under a root (a device's root, or <data>/volumes). */
export const persistentRoot = (root: string): string => join(root, "persistent");

/** Where a container's persistent volume lives: per container id (kept across its recreations) and volume path. */
export const persistentDir = (root: string, containerId: string, path: string): string =>
  join(persistentRoot(root), containerId, encodeURIComponent(path));

/** "disk:/home/d1:500G" -> a device. The path may itself hold colons: medium is before the first, size after the last. */
export function parseVolumeFlag(flag: string): VolumeDevice {
  const first = flag.indexOf(":");
  const last = flag.lastIndexOf(":");
  const usage = `--volume ${JSON.stringify(flag)}: want MEDIUM:PATH:SIZE, e.g. disk:/home/d1:500G`;
  if (first < 0 || last === first) throw new InvalidError(usage);
  const medium = flag.slice(0, first);
  const path = flag.slice(first + 1, last);
  if (medium !== "disk" && medium !== "ssd") throw new InvalidError(`${usage} (medium is disk or ssd)`);
  if (!isAbsolute(path) || normalize(path) !== path || path === "/") throw new InvalidError(`${usage} (PATH must be a clean absolute directory)`);
  const size = parseSize(flag.slice(last + 1));
  if (size <= 0) throw new InvalidError(`${usage} (SIZE must be above 0)`);
  return { medium, path, size };
}

export interface PlanContext {
  dataDir: string;
  agentKey: string;
  devices: readonly VolumeDevice[];
  /** bytes free per device path (the emptiest device of a medium takes a shared volume) */
  free: ReadonlyMap<string, number>;
}

/** The directory under a device that holds this agent's container volumes. */
export const deviceRoot = (device: string, agentKey: string): string => join(device, "galaxy", agentKey);

export function planVolumes(cap: Cap, ctx: PlanContext): VolumePlan[] {
  return cap.volumes.map((v, i) => {
    const base = { path: v.path, medium: v.medium, size: Number(v.size), readonly: v.readonly };
    if (v.medium === "tmpfs") return { ...base, kind: "tmpfs", hostPath: join(ctx.dataDir, "volumes", cap.containerId, String(i)) };
    const bound = (cap.bindings ?? []).find((b) => b.path === v.path)?.hostPath;
    const device = bound ?? emptiest(ctx.devices.filter((d) => d.medium === v.medium), ctx.free)?.path;
    const dir = device === undefined ? join(ctx.dataDir, "volumes") : deviceRoot(device, ctx.agentKey);
    if (v.persistent) {
      const hostPath = persistentDir(dir, cap.containerId, v.path);
      return { ...base, kind: "dir", hostPath, persistent: true, device: device ?? "", retentionMs: Number(v.retentionMs ?? 0) };
    }
    return { ...base, kind: "dir", hostPath: join(dir, cap.containerId, String(i)) };
  });
}

function emptiest(devices: readonly VolumeDevice[], free: ReadonlyMap<string, number>): VolumeDevice | undefined {
  return [...devices].sort((a, b) => (free.get(b.path) ?? b.size) - (free.get(a.path) ?? a.size))[0];
}

/** GALAXY_VOLUME_<PATH> for each volume ("/data" -> GALAXY_VOLUME_DATA, "/var/cache" -> GALAXY_VOLUME_VAR_CACHE). */
export function volumeEnv(volumes: readonly VolumePlan[], mounted: boolean): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of volumes) {
    if (!v.path) continue;
    const name = v.path.replace(/^\/+/, "").replace(/[^A-Za-z0-9]+/g, "_").toUpperCase();
    env[`GALAXY_VOLUME_${name}`] = mounted ? v.path : v.hostPath;
  }
  return env;
}

export interface DiskUse {
  /** the volume's path in the container, or "workspace" */
  what: string;
  size: number;
  used: number;
}

export interface DiskVerdict {
  /** since when it is over (0: it is not) */
  overSince: number;
  /** for ContainerReport.message ("" when all is well) */
  message: string;
  kill: boolean;
}

/** A container over a volume's size is warned at once and killed when it stays over for `graceMs`. */
export function judgeDisk(uses: readonly DiskUse[], overSince: number, now: number, graceMs: number): DiskVerdict {
  const over = uses.filter((u) => u.size > 0 && u.used > u.size);
  if (over.length === 0) return { overSince: 0, message: "", kill: false };
  const since = overSince || now;
  const what = over.map((u) => `${u.what} uses ${formatSize(u.used)} of its ${formatSize(u.size)}`).join(", ");
  const kill = now - since >= graceMs;
  const message = kill
    ? `killed: ${what} for longer than ${formatDuration(graceMs)}`
    : `over its disk size: ${what}; it is killed in ${formatDuration(graceMs - (now - since))} unless it frees space`;
  return { overSince: since, message, kill };
}
