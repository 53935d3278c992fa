// The environment a container's worker gets (README "What each container gets"): the cap's, the container's identity,
// its pod token, where its cgroups are, its tasks' identity. Pure but for the driver's file names.
import { memoryLimits } from "./cgroup/driver.ts";
import type { CgroupDriver } from "./cgroup/driver.ts";
import { NONE_MARKER } from "./cgroup/none.ts";
import type { HostLayout } from "./container-fs.ts";
import { type ContainerCheckpoint, limitsOf } from "./core.ts";
import { CLUSTER_DIR_FD, HOST_PROC_FD, HOST_ROOT_FD } from "./launch.ts";
import { volumeEnv } from "./volumes.ts";

export interface WorkerEnvContext {
  endpoint: string;
  driver: CgroupDriver;
  layout: HostLayout;
  /** what every worker gets (how to reach AppMaster) */
  workerEnv: Record<string, string>;
  podToken: (containerId: string) => string;
  dropPrivileges?: boolean;
  /** the cgroup.procs files the worker's launch joins */
  procs: string[];
  /** for the host worker, which runs on the host: the real paths, no fds into it */
  host: boolean;
}

export function workerEnvOf(cp: ContainerCheckpoint, o: WorkerEnvContext): Record<string, string> {
  const ports = Object.fromEntries(cp.cap.ports.map((p) => [p.name, p.port]));
  const ns = o.host ? [] : (cp.namespaces ?? []);
  const oom = o.driver.oomCounterFile(cp.cgroup);
  const uid = cp.taskUid ?? 0;
  const task: Record<string, string> = {
    GALAXY_TASK_PROCS: o.driver.procsFiles(cp.cgroup).join(" "),
    GALAXY_MEMORY_LIMIT: String(memoryLimits(limitsOf(cp.cap)).hard),
    ...(uid > 0 ? { GALAXY_TASK_UID: String(uid), GALAXY_TASK_GID: String(uid), GALAXY_TASK_DROP: o.dropPrivileges ? "1" : "0" } : {}),
    // a namespaced worker reads the cluster dir (hidden there) through the fd its launch opened
    ...(ns.length > 0 && o.layout.clusterDir ? { GALAXY_CLUSTER_DIR: `/proc/self/fd/${CLUSTER_DIR_FD}` } : {}),
    ...(ns.length > 0 ? { GALAXY_HOST_ROOT: `/proc/self/fd/${HOST_ROOT_FD}` } : {}),
  };
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    TMPDIR: process.env.TMPDIR ?? "/tmp",
    ...o.workerEnv,
    ...cp.cap.env,
    ...volumeEnv(cp.volumes ?? [], (cp.namespaces ?? []).length > 0),
    GALAXY_CONTAINER_ID: cp.id,
    GALAXY_POD_ID: cp.cap.env.GALAXY_POD_ID ?? cp.id,
    GALAXY_JOB_ID: cp.cap.env.GALAXY_JOB_ID ?? cp.cap.groupId,
    GALAXY_WORKSPACE: cp.workspace,
    GALAXY_AGENT: o.endpoint,
    GALAXY_PORTS: JSON.stringify(ports),
    GALAXY_POD_TOKEN: o.podToken(cp.id),
    GALAXY_CGROUP_PROCS: o.procs.join(" "),
    [NONE_MARKER]: cp.cgroup,
    ...(oom ? { GALAXY_OOM_COUNTER: oom } : {}),
    ...(ns.includes("pid") ? { GALAXY_HOST_PROC: `/proc/self/fd/${HOST_PROC_FD}` } : {}),
    ...task,
  };
}
