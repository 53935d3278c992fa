// A job file's request to ResMan: the wire GroupSpec of a parsed JobSpec (AppMaster sends it as CreateGroup; the client
// sends it to ResMan/Plan for `galaxy plan`).
import type { GroupSpec, VolumeRequest } from "./types.ts";
import { podIo, podResources, type JobSpec } from "../core/jobspec.ts";

/** The pod's volumes as ResMan's requests. */
export function volumeRequests(s: JobSpec): VolumeRequest[] {
  return s.pod.volumes.map((v) => ({
    path: v.path, size: v.size, medium: v.medium, exclusive: v.exclusive, readonly: v.readonly, persistent: v.persistent,
    sticky: v.sticky, retentionMs: v.retention,
  }));
}

/** The pod's io limits for ContainerOptions (the tasks' io summed, podIo). */
export function ioLimits(s: JobSpec): GroupSpec["container"]["io"] {
  return podIo(s);
}

export interface GroupSpecContext {
  id: string;
  user: string;
  version?: number;
  blacklist?: string[];
  replica?: number;
}

export function groupSpecFromJob(s: JobSpec, o: GroupSpecContext): GroupSpec {
  return {
    id: o.id, user: o.user, jobType: s.type, replica: o.replica ?? s.deploy.replica, resources: podResources(s),
    ports: s.pod.tasks.flatMap((t) => t.ports.map((p) => ({ name: p.name, port: p.port }))),
    volumes: volumeRequests(s),
    pools: s.deploy.pools, labels: s.deploy.labels, maxPerHost: s.deploy.maxPerHost, spread: s.deploy.spread,
    name: s.name, antiAffinity: s.deploy.antiAffinity.map((r) => ({ ...r })), score: s.deploy.score,
    blacklist: o.blacklist ?? [], version: o.version ?? 0, step: s.deploy.step, env: {}, released: [],
    profileCpu: s.deploy.profile?.cpu ?? [], profileMemory: s.deploy.profile?.memory ?? [],
    container: {
      cpuExcess: s.pod.tasks.some((t) => t.cpu.excess), memoryExcess: s.pod.tasks.some((t) => t.memory.excess), memoryCeiling: 0,
      pidsLimit: 0, ioWeight: 0, io: ioLimits(s), stopTimeoutMs: s.deploy.stopTimeout, workspaceSize: s.pod.workspace.size,
    },
  };
}
