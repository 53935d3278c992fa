// Fixtures shared by the agent's tests.
import type { Cap } from "../rpc/types.ts";

export const MiB = 1 << 20;

/** A service cap of 500 millicores and 128M owned by alice, with every option at its default. */
export function capOf(id: string, over: Partial<Cap> = {}): Cap {
  return {
    containerId: id, groupId: id.slice(0, id.lastIndexOf(".")), jobType: "service",
    resources: { millicores: 500, memory: 128 * MiB, disk: 0, ssd: 0 }, ports: [], volumes: [], user: "alice", epoch: 1,
    grantedAt: 0, env: {}, bindings: [],
    container: { cpuExcess: false, memoryExcess: false, memoryCeiling: 0, pidsLimit: 0, ioWeight: 0, io: { weight: 0, readBps: 0, writeBps: 0, readIops: 0, writeIops: 0 }, stopTimeoutMs: 0, workspaceSize: 0 },
    ...over,
  };
}
