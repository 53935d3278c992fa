// The agent's periodic watch over its host, every few seconds (the decisions are pure functions elsewhere):
//
//   sample host + each container (cpu, wait, memory, OOM count) ──► cpu soft-limit controller ──► cgroup ceilings
//        │                                                      ──► memory pressure ──► evict best-effort, then batch
//        └─ every diskEveryMs: measure volumes + workspace (du, statfs) ──► over size? warn, then kill after grace
//   and: delete the kept workspaces of failed containers whose --gc-delay is over.
import type { Usage } from "../rpc/types.ts";
import type { CgroupDriver } from "./cgroup/driver.ts";
import type { ContainerManager } from "./containers.ts";
import { type ContainerCheckpoint, limitsOf, oomNote, optionsOf, pidsNote } from "./core.ts";
import { type CpuContainer, type CpuParams, computeCpuLimits, defaultCpuParams } from "./cpu-controller.ts";
import { choosePressureVictims } from "./pressure.ts";
import { type HostSample, HostMeter } from "./usage.ts";
import { volumeUsage } from "./volume-io.ts";
import { type DiskUse, judgeDisk } from "./volumes.ts";

const PIDS_NOTE = "pids limit reached";

export interface MonitorOptions {
  /** the agent's offered memory (bytes) */
  memory: number;
  intervalMs: number;
  diskEveryMs: number;
  diskGraceMs: number;
  cpu?: CpuParams;
  log: (msg: string) => void;
  /** the machine's meter (tests give a fake one) */
  host?: { sample(): HostSample };
}

export class Monitor {
  hostUsage: Usage = { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 };
  pressure = false;
  private readonly host: { sample(): HostSample };
  private readonly ceilings = new Map<string, { limit: number; changedAt: number }>();
  private readonly disk = new Map<string, number>();
  private lastDiskAt = 0;
  private diskRunning = false;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    readonly manager: ContainerManager,
    readonly driver: CgroupDriver,
    readonly o: MonitorOptions,
  ) {
    this.host = o.host ?? new HostMeter();
  }

  start(): void {
    this.tick(Date.now());
    this.timer = setInterval(() => this.tick(Date.now()), this.o.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private running(): ContainerCheckpoint[] {
    return [...this.manager.held.values()].filter((cp) => cp.state === "running");
  }

  tick(now: number): void {
    try {
      const host = this.host.sample();
      const running = this.running();
      for (const cp of running) this.sampleContainer(cp, now);
      this.hostUsage = {
        millicores: host.busy, memoryRss: host.memory.total - host.memory.available, memoryCache: host.memory.cache,
        disk: [...this.disk.values()].reduce((s, v) => s + v, 0), at: now,
      };
      this.controlCpu(now, host, running);
      this.relieveMemory(host, running);
      if (now - this.lastDiskAt >= this.o.diskEveryMs && !this.diskRunning) void this.checkDisk(now);
      this.manager.gc.sweep(now);
    } catch (e) {
      /* one bad sample must not stop the watch */
      this.o.log(`agent: monitor: ${(e as Error).message}`);
    }
  }

  private sampleContainer(cp: ContainerCheckpoint, now: number): void {
    const s = this.manager.usage.sample(cp.id, this.driver, cp.cgroup, now, this.disk.get(cp.id) ?? 0);
    if (s.oomKills > (cp.oomKills ?? 0)) {
      cp.oomKills = s.oomKills;
      this.manager.note(cp.id, oomNote(s.oomKills, s.memoryLimit));
      this.o.log(`agent: ${cp.id}: the OOM killer struck (${s.oomKills} so far)`);
    }
    const pids = pidsNote(s.pids, limitsOf(cp.cap).pids ?? 0);
    if (pids && cp.message !== pids) {
      this.manager.note(cp.id, pids);
      this.o.log(`agent: ${cp.id}: ${pids}`);
    } else if (!pids && cp.message.startsWith(PIDS_NOTE)) this.manager.note(cp.id, "");
  }

  private controlCpu(now: number, host: HostSample, running: ContainerCheckpoint[]): void {
    const params = this.o.cpu ?? defaultCpuParams(host.cores);
    const view: CpuContainer[] = running.map((cp) => {
      const quota = Math.max(1, cp.cap.resources.millicores);
      const c = this.ceilings.get(cp.id) ?? { limit: Math.max(quota, cp.cpuCeiling ?? quota), changedAt: 0 };
      const s = this.manager.usage.latest(cp.id, now);
      return { id: cp.id, quota, excess: optionsOf(cp.cap).cpuExcess, limit: c.limit, usage: s.usage.millicores, wait: s.waitMillicores, changedAt: c.changedAt };
    });
    for (const id of [...this.ceilings.keys()]) if (!running.some((cp) => cp.id === id)) this.ceilings.delete(id);
    for (const d of computeCpuLimits(now, { cores: host.cores, idle: host.idle }, view, params)) {
      const cp = this.manager.held.get(d.id);
      if (!cp) continue;
      try {
        this.driver.update(cp.cgroup, limitsOf(cp.cap, d.limit));
        this.ceilings.set(d.id, { limit: d.limit, changedAt: now });
        cp.cpuCeiling = d.limit;
        this.manager.save(d.id); // a restarted agent goes on from the ceiling the cgroup has
      } catch (e) {
        this.o.log(`agent: cpu ceiling of ${d.id}: ${(e as Error).message}`);
      }
    }
  }

  private relieveMemory(host: HostSample, running: ContainerCheckpoint[]): void {
    const users = running.map((cp) => ({ id: cp.id, jobType: cp.cap.jobType, used: this.manager.usage.latest(cp.id, 0).usage.memoryRss }));
    const v = choosePressureVictims({ offered: this.o.memory, total: host.memory.total, available: host.memory.available }, users);
    if (v.pressure !== this.pressure) this.o.log(`agent: ${v.pressure ? v.reason : "memory pressure is over"}`);
    this.pressure = v.pressure;
    for (const id of v.victims) void this.manager.fail(id, `evicted: ${v.reason}`);
  }

  /** Measures every running container's volumes and workspace, warns those over their size, kills them after the grace. */
  async checkDisk(now: number): Promise<void> {
    this.diskRunning = true;
    this.lastDiskAt = now;
    try {
      for (const cp of this.running()) {
        const uses = await measure(cp);
        this.disk.set(cp.id, uses.reduce((s, u) => s + u.used, 0));
        const v = judgeDisk(uses, cp.diskOverSince ?? 0, Date.now(), this.o.diskGraceMs);
        const wasOver = (cp.diskOverSince ?? 0) > 0;
        if (v.overSince !== (cp.diskOverSince ?? 0)) {
          cp.diskOverSince = v.overSince;
          this.manager.save(cp.id); // the grace keeps counting across an agent restart
        }
        if (v.kill) await this.manager.fail(cp.id, v.message);
        else if (v.message) this.manager.note(cp.id, v.message);
        else if (wasOver) this.manager.note(cp.id, "");
      }
      for (const id of [...this.disk.keys()]) if (!this.manager.held.has(id)) this.disk.delete(id);
    } finally {
      this.diskRunning = false;
    }
  }
}

async function measure(cp: ContainerCheckpoint): Promise<DiskUse[]> {
  const uses: DiskUse[] = [];
  // a tmpfs cannot outgrow its size (the kernel refuses the write) and counts as memory, not disk
  for (const v of (cp.volumes ?? []).filter((x) => x.kind !== "tmpfs")) uses.push({ what: v.path, size: v.size, used: await volumeUsage(v) });
  const ws = optionsOf(cp.cap).workspaceSize;
  uses.push({ what: "workspace", size: ws, used: await volumeUsage({ path: "", hostPath: cp.workspace, medium: "disk", size: ws, kind: "dir", readonly: false }) });
  return uses;
}
