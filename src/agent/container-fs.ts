// A container's files on the host: its workspace, its volumes (directories and tmpfs mounts), the bind-mount points
// its namespace needs, and what its namespace hides. Set up before the worker starts; torn down after it is killed.
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ContainerCheckpoint } from "./core.ts";
import { coverOf, type MountPlan } from "./launch.ts";
import { recordPersistent } from "./persistent.ts";
import { makeMountPoint, mountsUnder, prepareVolume, removeEmptyDirs, unmount } from "./volume-io.ts";
import { deviceRoot, planVolumes, type VolumeDevice } from "./volumes.ts";

export interface HostLayout {
  dataDir: string;
  agentKey: string;
  devices: readonly VolumeDevice[];
  /** the cluster directory, whose secret a container must not read */
  clusterDir?: string;
  /** more directories of Galaxy's no container may see (`--hide`: galaxy up's --dir) */
  hidden?: readonly string[];
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

/**
 * Step 2: make the workspace and volumes, and (with a mount namespace) the points they are bound on. With a task uid:
 * the workspace is root's, group the task's gid, mode 1770 (the task creates and changes its own files; sticky: it
 * cannot rename or replace Galaxy's), logs/ and .galaxy/ root's 0755 (readable, not writable: the worker, root,
 * writes there and must never follow a link the task made); each volume is the task's, 0750.
 */
export function makeContainerFs(cp: ContainerCheckpoint, withMountNs: boolean, checkpoint: () => void): void {
  mkdirSync(join(cp.workspace, "logs"), { recursive: true });
  mkdirSync(join(cp.workspace, ".galaxy"), { recursive: true });
  for (const v of cp.volumes ?? []) {
    prepareVolume(v);
    recordPersistent(v, cp.id, cp.cap.groupId);
  }
  const uid = cp.taskUid ?? 0;
  if (uid > 0) {
    chownSync(cp.workspace, 0, uid);
    chmodSync(cp.workspace, 0o1770);
    for (const d of ["logs", ".galaxy"]) chmodSync(join(cp.workspace, d), 0o755);
    for (const v of cp.volumes ?? []) {
      // persistent data written by an earlier incarnation (another task uid) becomes this one's (links not followed)
      if (v.persistent && statSync(v.hostPath).uid !== uid) Bun.spawnSync(["chown", "-R", "-P", `${uid}:${uid}`, v.hostPath]);
      chownSync(v.hostPath, uid, uid);
      chmodSync(v.hostPath, 0o750);
    }
  }
  if (!withMountNs) return;
  const created = new Set(cp.createdDirs ?? []);
  for (const v of cp.volumes ?? []) for (const d of makeMountPoint(v.path)) created.add(d);
  cp.createdDirs = [...created];
  checkpoint();
}

/** Whether others (a task's uid) can pass through a directory. */
function othersTraverse(dir: string): boolean {
  try {
    return (statSync(dir).mode & 0o001) !== 0;
  } catch {
    return false;
  }
}

/**
 * The mounts galaxy-init makes in the container's namespace: its volumes bound, the highest Galaxy or closed directory
 * on its workspace's path covered by a skeleton holding only the workspace (and the worker's executable when it lies
 * beneath), the cluster dir and volume devices elsewhere hidden. `worker`: the worker's argv (its files are kept).
 */
export function mountPlanOf(cp: ContainerCheckpoint, l: HostLayout, worker: readonly string[] = []): MountPlan {
  const galaxy = [l.dataDir, ...(l.clusterDir ? [l.clusterDir] : []), ...(l.hidden ?? [])].map((d) => resolve(d));
  const cover = coverOf(resolve(cp.workspace), galaxy, othersTraverse);
  const inside = (d: string) => d === cover || d.startsWith(`${cover}/`);
  const hide = [...(l.clusterDir ? [l.clusterDir] : []), ...(l.hidden ?? []), ...l.devices.map((d) => deviceRoot(d.path, l.agentKey))].map((d) => resolve(d))
    .filter((d) => !inside(d) && existsSync(d));
  const stage = resolve(stageDir(l));
  // Mounts under hidden directories are detached in the namespace, except those the skeleton sits on.
  const carries = (m: string) => m === cover || stage === m || stage.startsWith(`${m}/`);
  return {
    workspace: resolve(cp.workspace),
    stage,
    binds: (cp.volumes ?? []).map((v) => ({ source: v.hostPath, target: v.path, readonly: v.readonly })),
    cover,
    keep: worker.filter((a) => a.startsWith("/") && inside(a) && existsSync(a)),
    hide,
    detach: [cover, ...hide].flatMap((d) => mountsUnder(d)).filter((m) => !carries(m)),
  };
}

/**
 * After its processes are gone: unmount its tmpfs volumes, delete its volume directories (not persistent ones), remove the mount points no
 * other container still uses, and delete the workspace unless `keepWorkspace`.
 */
export function removeContainerFs(cp: ContainerCheckpoint, others: readonly ContainerCheckpoint[], keepWorkspace: boolean): void {
  for (const m of cp.mounts ?? []) unmount(m);
  for (const v of cp.volumes ?? []) {
    if (v.persistent) continue; // kept for the container's next incarnation; deleted when its job is (persistent.ts)
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
