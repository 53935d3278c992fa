// Per-container usage: cpu in millicores from cgroup cpu-time deltas, memory from the cgroup's counters.
import type { Usage } from "../rpc/types.ts";
import type { CgroupDriver } from "./cgroup/driver.ts";

export class UsageMeter {
  private readonly last = new Map<string, { cpuUsec: number; at: number; millicores: number }>();

  sample(id: string, driver: CgroupDriver, cgroup: string, now: number): Usage {
    let u;
    try {
      u = driver.usage(cgroup);
    } catch {
      return { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: now };
    }
    const prev = this.last.get(id);
    let millicores = prev?.millicores ?? 0;
    if (prev && now > prev.at) millicores = Math.round((u.cpuUsageUsec - prev.cpuUsec) / (now - prev.at));
    this.last.set(id, { cpuUsec: u.cpuUsageUsec, at: now, millicores: Math.max(0, millicores) });
    return { millicores: Math.max(0, millicores), memoryRss: u.memoryRss, memoryCache: u.memoryCache, disk: 0, at: now };
  }

  forget(id: string): void {
    this.last.delete(id);
  }
}
