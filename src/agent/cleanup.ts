// Tears down every container an agent left on this host (used by `galaxy up` on Ctrl-C, after the agent exited):
// kill each worker's process group and cgroup, remove the cgroups and workspaces, clear the checkpoint.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openLmdbStore } from "../store/index.ts";
import { signal } from "../sys/proc.ts";
import { detectDriver } from "./cgroup/index.ts";
import { agentKey, type ContainerCheckpoint } from "./core.ts";

export async function destroyAllContainers(dataDir: string, endpoint: string): Promise<number> {
  const driver = detectDriver();
  let n = 0;
  if (existsSync(join(dataDir, "state"))) {
    const store = openLmdbStore(join(dataDir, "state"));
    const table = store.table<ContainerCheckpoint>("containers");
    for (const cp of table.list()) {
      if (cp.pid) signal(-cp.pid, "SIGKILL");
      await driver.kill(cp.cgroup).catch(() => {});
      await driver.remove(cp.cgroup).catch(() => {});
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
  rmSync(join(dataDir, "containers"), { recursive: true, force: true });
  return n;
}

/** Removes the shared `galaxy` cgroup parent when no agent uses it any more (busy is fine: another agent does). */
export async function removeGalaxyCgroupRoot(): Promise<void> {
  const driver = detectDriver();
  if (driver.list("galaxy").length === 0) await driver.remove("galaxy").catch(() => {});
}
