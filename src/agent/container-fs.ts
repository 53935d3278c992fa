// A container's files on the host: its workspace, its volumes (directories and tmpfs mounts), the bind-mount points
// its namespace needs, and what its namespace hides. Set up before the worker starts; torn down after it is killed.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ContainerCheckpoint } from "./core.ts";
import type { MountPlan } from "./launch.ts";
import { makeMountPoint, mountsUnder, prepareVolume, removeEmptyDirs, unmount } from "./volume-io.ts";
import { deviceRoot, planVolumes, type VolumeDevice } from "./volumes.ts";

export interface HostLayout {
  dataDir: string;
  agentKey: string;
  devices: readonly VolumeDevice[];
  /** the cluster directory, whose secret a container must not read */
  clusterDir?: string;
}

export const containersDir = (l: HostLayout): string => join(l.dataDir, "containers");
export const stageDir = (l: HostLayout): string => join(l.dataDir, "stage");

/** Directories every agent needs before its first container. */
export function prepareLayout(l: HostLayout): void {
  for (const d of [containersDir(l), stageDir(l), join(l.dataDir, "volumes")]) mkdirSync(d, { recursive: true });
  for (const d of l.devices) mkdirSync(deviceRoot(d.path, l.agentKey), { recursive: true });
}

/** Step 1 (pure, checkpointed before anything is made): where its volumes go. */
export function planContainerFs(cp: ContainerCheckpoint, l: HostLayout, free: ReadonlyMap<string, number>): void {
  cp.volumes = planVolumes(cp.cap, { dataDir: l.dataDir, agentKey: l.agentKey, devices: l.devices, free });
  cp.mounts = cp.volumes.filter((v) => v.kind === "tmpfs").map((v) => v.hostPath);
}

/** Step 2: make the workspace and volumes, and (with a mount namespace) the points they are bound on. */
export function makeContainerFs(cp: ContainerCheckpoint, withMountNs: boolean, checkpoint: () => void): void {
  mkdirSync(join(cp.workspace, "logs"), { recursive: true });
  mkdirSync(join(cp.workspace, ".galaxy"), { recursive: true });
  for (const v of cp.volumes ?? []) prepareVolume(v);
  if (!withMountNs) return;
  const created = new Set(cp.createdDirs ?? []);
  for (const v of cp.volumes ?? []) for (const d of makeMountPoint(v.path)) created.add(d);
  cp.createdDirs = [...created];
  checkpoint();
}

/** The mounts galaxy-init makes in the container's namespace. */
export function mountPlanOf(cp: ContainerCheckpoint, l: HostLayout): MountPlan {
  const hide = [containersDir(l), join(l.dataDir, "state"), join(l.dataDir, "volumes"), ...l.devices.map((d) => deviceRoot(d.path, l.agentKey))];
  const secret = l.clusterDir ? join(l.clusterDir, "secret") : "";
  return {
    workspace: cp.workspace,
    stage: stageDir(l),
    binds: (cp.volumes ?? []).map((v) => ({ source: v.hostPath, target: v.path, readonly: v.readonly })),
    hide: hide.filter((d) => existsSync(d)),
    hideFiles: secret && existsSync(secret) ? [secret] : [],
    detach: hide.flatMap((d) => mountsUnder(d)),
  };
}

/**
 * After its processes are gone: unmount its tmpfs volumes, delete its volume directories, remove the mount points no
 * other container still uses, and delete the workspace unless `keepWorkspace`.
 */
export function removeContainerFs(cp: ContainerCheckpoint, others: readonly ContainerCheckpoint[], keepWorkspace: boolean): void {
  for (const m of cp.mounts ?? []) unmount(m);
  for (const v of cp.volumes ?? []) {
    rmSync(v.hostPath, { recursive: true, force: true });
    removeEmptyDirs([dirname(v.hostPath)]);
  }
  const inUse = new Set(others.flatMap((o) => (o.volumes ?? []).flatMap((v) => ancestors(v.path))));
  removeEmptyDirs((cp.createdDirs ?? []).filter((d) => !inUse.has(d)));
  if (!keepWorkspace) rmSync(cp.workspace, { recursive: true, force: true });
}

/** "/a/b/c" -> ["/a", "/a/b", "/a/b/c"] */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let p = path; p !== "/" && p !== "."; p = dirname(p)) out.unshift(p);
  return out;
}
