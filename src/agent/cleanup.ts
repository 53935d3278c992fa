// Leftovers: at agent start, cgroups and mounts of this agent that no checkpoint claims (a crash between making
// and recording them); at `galaxy up` stop, every container an agent left on this host (after the agent exited):
// kill each worker's process group and cgroup, unmount its volumes, remove its cgroups, directories and checkpoint.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { openLmdbStore } from "../store/index.ts";
import { signal } from "../sys/proc.ts";
import type { CgroupDriver } from "./cgroup/driver.ts";
import { detectDriver } from "./cgroup/index.ts";
import type { HostLayout } from "./container-fs.ts";
import { type ContainerManager, cgroupsOf } from "./containers.ts";
import { agentKey, type ContainerCheckpoint, WORKERS_CGROUP } from "./core.ts";
import { HOST_WORKER_CGROUP } from "./host-worker-proc.ts";
import { mountsUnder, removeEmptyDirs, unmount } from "./volume-io.ts";

/** At start, before recovery: kill and remove cgroups, and unmount volumes, that belong to no checkpointed container. */
export async function sweepLeftovers(m: ContainerManager, driver: CgroupDriver, l: HostLayout, log: (msg: string) => void): Promise<void> {
  const parent = `galaxy/${l.agentKey}`;
  const workers = `${parent}/${WORKERS_CGROUP}`;
  const claimedCgroups = new Set([...m.held.values()].flatMap((cp) => cgroupsOf(cp)));
  const children = [...driver.list(parent).filter((c) => c !== WORKERS_CGROUP && c !== HOST_WORKER_CGROUP).map((c) => `${parent}/${c}`), ...driver.list(workers).map((c) => `${workers}/${c}`)];
  for (const cgroup of children) {
    if (claimedCgroups.has(cgroup)) continue;
    log(`agent: removing leftover cgroup ${cgroup}`);
    await driver.kill(cgroup).catch(() => {});
    await driver.remove(cgroup).catch(() => {});
  }
  const claimed = new Set([...m.held.values()].flatMap((cp) => cp.mounts ?? []));
  for (const mount of mountsUnder(join(l.dataDir, "volumes"))) {
    if (claimed.has(mount)) continue;
    log(`agent: unmounting leftover ${mount}`);
    try {
      unmount(mount);
    } catch (e) {
      log(`agent: ${(e as Error).message}`);
    }
  }
}

async function destroyCheckpointed(cp: ContainerCheckpoint, driver: CgroupDriver): Promise<void> {
  if (cp.pid) signal(-cp.pid, "SIGKILL");
  for (const g of cgroupsOf(cp)) await driver.kill(g).catch(() => {});
  for (const g of cgroupsOf(cp)) await driver.remove(g).catch(() => {});
  for (const mount of cp.mounts ?? []) {
    try {
      unmount(mount);
    } catch {
      /* swept below */
    }
  }
  for (const v of cp.volumes ?? []) {
    if (v.persistent) continue; // persistent data outlives a stopped cluster too: it is deleted only with its job
    rmSync(v.hostPath, { recursive: true, force: true });
    removeEmptyDirs([dirname(v.hostPath)]);
  }
  removeEmptyDirs(cp.createdDirs ?? []);
}

export async function destroyAllContainers(dataDir: string, endpoint: string): Promise<number> {
  const driver = detectDriver();
  let n = 0;
  if (existsSync(join(dataDir, "state"))) {
    const store = openLmdbStore(join(dataDir, "state"));
    const table = store.table<ContainerCheckpoint>("containers");
    for (const cp of table.list()) {
      await destroyCheckpointed(cp, driver);
      n++;
    }
    await store.write((tx) => {
      for (const k of table.keys()) tx.delete(table, k);
    });
    await store.close();
  }
  const parent = `galaxy/${agentKey(endpoint)}`;
  for (const child of driver.list(parent)) {
    await driver.kill(`${parent}/${child}`).catch(() => {});
    await driver.remove(`${parent}/${child}`).catch(() => {});
  }
  await driver.remove(parent).catch(() => {});
  for (const mount of mountsUnder(dataDir)) unmount(mount);
  for (const d of ["containers", "stage"]) rmSync(join(dataDir, d), { recursive: true, force: true });
  // <data>/volumes keeps persistent volumes' data (volumes/persistent); the rest of it goes
  for (const d of listDir(join(dataDir, "volumes")).filter((x) => x !== "persistent")) rmSync(join(dataDir, "volumes", d), { recursive: true, force: true });
  return n;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Removes the shared `galaxy` cgroup parent when no agent uses it any more (busy is fine: another agent does). */
export async function removeGalaxyCgroupRoot(): Promise<void> {
  const driver = detectDriver();
  if (driver.list("galaxy").length === 0) await driver.remove("galaxy").catch(() => {});
}
