// A mutable overlay on a SchedAgent for one scheduling pass: placements and evictions made in this pass update the
// overlay, never the caller's data (place() stays pure). Sets and maps are copied on first write only, so an agent
// the pass never touches costs one small object.
import type { Resources } from "../core/domain.ts";
import type { Demand } from "./demand.ts";
import { fitsAtEveryPoint, peakOf, withProfile, type MutableProfile, type ProfileDim } from "./profile.ts";
import type { AgentProfile, SchedAgent, SchedContainer, SchedDevice, SchedProfile } from "./types.ts";

export class WorkingAgent {
  cpu: number;
  memory: number;
  disk: number;
  ssd: number;
  batchCount: number;
  private ports: Set<number> | null = null;
  private counts: Map<string, number> | null = null;
  private taken: Set<string> | null = null;
  /** Containers of the base evicted in this pass. */
  private removed: Set<string> | null = null;
  /** The base's containers, read once per pass (a base may list them afresh on every read). */
  private baseContainers: readonly SchedContainer[] | null = null;
  private nextPort: number;
  /**
   * What only profiles read, made on first use: the constructor runs for every agent a pass reads, so it stays
   * small and reads no optional field of the base.
   */
  private x: WorkingExtra | null = null;

  constructor(readonly base: SchedAgent) {
    this.cpu = base.assigned.millicores;
    this.memory = base.assigned.memory;
    this.disk = base.assigned.disk;
    this.ssd = base.assigned.ssd;
    this.batchCount = base.batchCount;
    this.nextPort = base.portMin;
  }

  get endpoint(): string {
    return this.base.endpoint;
  }

  /** Free amount of one resource (negative when over-committed by deep best-effort containers). */
  free(r: keyof Resources): number {
    return this.base.total[r] - this[r === "millicores" ? "cpu" : r];
  }

  portUsed(port: number): boolean {
    return (this.ports ?? this.base.usedPorts).has(port);
  }

  countOf(group: string): number {
    return (this.counts ?? this.base.groupCount).get(group) ?? 0;
  }

  deviceTaken(path: string): boolean {
    return (this.taken ?? this.base.takenDevices).has(path);
  }

  /** Free dynamic ports left in the agent's range (a lower bound: fixed ports outside the range count as used). */
  dynamicPortsFree(): number {
    if (this.base.portMax < this.base.portMin) return 0;
    return this.base.portMax - this.base.portMin + 1 - (this.ports ?? this.base.usedPorts).size;
  }

  /** Takes the lowest free port of the dynamic range, or null when none is left. */
  takeDynamicPort(): number | null {
    for (let p = this.nextPort; p <= this.base.portMax; p++) {
      if (!this.portUsed(p)) {
        this.markPort(p, true);
        this.nextPort = p + 1;
        return p;
      }
    }
    return null;
  }

  markPort(port: number, used: boolean): void {
    if (!this.ports) this.ports = new Set(this.base.usedPorts);
    if (used) this.ports.add(port);
    else {
      this.ports.delete(port);
      if (port >= this.base.portMin && port < this.nextPort) this.nextPort = port;
    }
  }

  /**
   * The devices the demand's exclusive volumes would take here (for each volume, largest first, the smallest free
   * device of its medium that holds it), or null when one does not fit. Devices are charged at their full size.
   */
  chooseDevices(d: Demand): SchedDevice[] | null {
    if (d.exclusive.length === 0) return NO_DEVICES;
    const chosen: SchedDevice[] = [];
    for (const v of d.exclusive) {
      let best: SchedDevice | null = null;
      for (const dev of this.base.devices) {
        if (dev.medium !== v.medium || dev.size < v.size || this.deviceTaken(dev.path) || chosen.includes(dev)) continue;
        if (!best || dev.size < best.size || (dev.size === best.size && dev.path < best.path)) best = dev;
      }
      if (!best) return null;
      chosen.push(best);
    }
    return chosen;
  }

  private extra(): WorkingExtra {
    return (this.x ??= { prof: this.base.profile ?? null, ownProf: false });
  }

  private profile(): AgentProfile | MutableProfile | null {
    return this.extra().prof;
  }

  /** The load score's target: the base's, or the fallback. */
  loadTarget(fallback: number): number {
    return this.base.loadTarget ?? fallback;
  }

  /** A profiled container's fit: at every point, the charge without the profiled ones + their curves + its curve. */
  profileFits(p: SchedProfile, dim: ProfileDim): boolean {
    const pr = this.profile();
    const used = dim === "cpu" ? this.cpu - (pr?.peakCpu ?? 0) : this.memory - (pr?.peakMemory ?? 0);
    return fitsAtEveryPoint(used, pr?.[dim], p[dim], this.base.total[dim === "cpu" ? "millicores" : "memory"]);
  }

  /** The agent's cpu in use as profiles see it (the peak of the sums), with `add`'s curve when given. */
  profiledCpu(add?: SchedProfile): number {
    const pr = this.profile();
    if (!pr && !add) return this.cpu;
    return this.cpu - (pr?.peakCpu ?? 0) + peakOf(pr?.cpu, add?.cpu);
  }

  /** Charges one container: its shared resources plus the devices it takes (and its curves, when profiled). */
  add(group: string, charged: Resources, batch: boolean, devices: readonly string[], profile?: SchedProfile): void {
    if (profile) {
      const x = this.extra();
      x.prof = withProfile(x.prof, profile, charged.millicores, charged.memory, x.ownProf);
      x.ownProf = true;
    }
    this.charge(charged, 1);
    if (!this.counts) this.counts = new Map(this.base.groupCount);
    this.counts.set(group, this.countOf(group) + 1);
    if (batch) this.batchCount++;
    if (devices.length > 0) {
      if (!this.taken) this.taken = new Set(this.base.takenDevices);
      for (const p of devices) this.taken.add(p);
    }
  }

  /** Takes a container of the base off this agent (preemption). */
  evict(c: SchedContainer, batch: boolean): void {
    if (!this.removed) this.removed = new Set();
    this.removed.add(c.id);
    this.release(c, batch);
    if (c.profile) {
      const x = this.extra();
      x.prof = withProfile(x.prof, c.profile, c.charged.millicores, c.charged.memory, x.ownProf, -1);
      x.ownProf = true;
    }
  }

  /** Puts back a container evict() took off (preemption trying a smaller victim set). */
  restore(c: SchedContainer, batch: boolean): void {
    this.removed?.delete(c.id);
    this.add(c.groupId, c.charged, batch, c.devices, c.profile);
    for (const p of c.ports) this.markPort(p, true);
  }

  /** The base's containers not evicted in this pass. */
  liveContainers(): SchedContainer[] {
    const removed = this.removed;
    const all = (this.baseContainers ??= this.base.containers);
    return removed ? all.filter((c) => !removed.has(c.id)) : [...all];
  }

  /** An independent copy (preemption tries victim sets on it). */
  clone(): WorkingAgent {
    const w = new WorkingAgent(this.base);
    w.cpu = this.cpu;
    w.memory = this.memory;
    w.disk = this.disk;
    w.ssd = this.ssd;
    w.batchCount = this.batchCount;
    w.nextPort = this.nextPort;
    w.ports = this.ports && new Set(this.ports);
    w.counts = this.counts && new Map(this.counts);
    w.taken = this.taken && new Set(this.taken);
    w.removed = this.removed && new Set(this.removed);
    w.baseContainers = this.baseContainers;
    if (this.x) w.x = { ...this.x, ownProf: false }; // the profile shared: the copy makes its own before it adds one
    return w;
  }

  /** Dominant share of the agent's capacity in use (0..1): the bin-pack and spread score. */
  dominantShare(): number {
    const t = this.base.total;
    return Math.max(share(this.cpu, t.millicores), share(this.memory, t.memory), share(this.disk, t.disk), share(this.ssd, t.ssd));
  }

  private release(c: SchedContainer, batch: boolean): void {
    this.charge(c.charged, -1);
    if (!this.counts) this.counts = new Map(this.base.groupCount);
    const n = this.countOf(c.groupId) - 1;
    if (n > 0) this.counts.set(c.groupId, n);
    else this.counts.delete(c.groupId);
    if (batch) this.batchCount--;
    for (const p of c.ports) this.markPort(p, false);
    if (c.devices.length > 0) {
      if (!this.taken) this.taken = new Set(this.base.takenDevices);
      for (const p of c.devices) this.taken.delete(p);
    }
  }

  private charge(r: Resources, sign: 1 | -1): void {
    this.cpu += sign * r.millicores;
    this.memory += sign * r.memory;
    this.disk += sign * r.disk;
    this.ssd += sign * r.ssd;
  }
}

interface WorkingExtra {
  /** The base's profile until a profiled container is added here, then this pass's own copy. */
  prof: AgentProfile | MutableProfile | null;
  ownProf: boolean;
}

const NO_DEVICES: SchedDevice[] = [];
const share = (used: number, total: number) => (total > 0 ? Math.max(0, used) / total : 0);

/**
 * A pass's WorkingAgents, made on first use (bench B2): a pass that reads a few agents of a big fleet (a small
 * group finding room near the front of the order) builds a few, not one per agent.
 */
export class WorkingFleet {
  private readonly made: (WorkingAgent | undefined)[];

  constructor(private readonly agents: readonly SchedAgent[]) {
    this.made = new Array(agents.length);
  }

  get length(): number {
    return this.agents.length;
  }

  at(i: number): WorkingAgent {
    let w = this.made[i];
    if (!w) {
      const base = this.agents[i]!;
      base.refresh?.(); // a kept view is brought up to date once per pass, before the pass reads it
      this.made[i] = w = new WorkingAgent(base);
    }
    return w;
  }

  /** Every agent's (preemption looks at all of them). */
  all(): WorkingAgent[] {
    const out: WorkingAgent[] = [];
    for (let i = 0; i < this.agents.length; i++) out.push(this.at(i));
    return out;
  }
}
