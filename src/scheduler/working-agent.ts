// A mutable overlay on a SchedAgent for one scheduling pass: placements and evictions made in this pass update the
// overlay, never the caller's data (place() stays pure). Sets and maps are copied on first write only, so an agent
// the pass never touches costs one small object.
import type { Resources } from "../core/domain.ts";
import type { Demand } from "./demand.ts";
import { fitsAtEveryPoint, peakOf, withProfile, type MutableProfile, type ProfileDim } from "./profile.ts";
import type { AgentProfile, DeviceShare, SchedAgent, SchedContainer, SchedDevice, SchedProfile } from "./types.ts";

export class WorkingAgent {
  cpu: number;
  memory: number;
  disk: number;
  ssd: number;
  batchCount: number;
  private ports: Set<number> | null = null;
  private counts: Map<string, number> | null = null;
  private taken: Set<string> | null = null;
  /** Bytes of shared volumes per device, once this pass changed them. */
  private used: Map<string, number> | null = null;
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

  /** Bytes of shared volumes on a device. */
  deviceUsed(path: string): number {
    return (this.used ?? this.base.deviceUsed)?.get(path) ?? 0;
  }

  /** What is left of a device for shared volumes (0 when an exclusive volume holds it). */
  deviceRoom(dev: SchedDevice): number {
    return this.deviceTaken(dev.path) ? 0 : dev.size - this.deviceUsed(dev.path);
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
   * The device each of the demand's disk and ssd volumes (d.onDevices) would take here, or null when one does not
   * fit. An exclusive volume takes the smallest device of its medium that is large enough and holds no other volume
   * (charged at its full size), or the one holding its persistent data (the group's home) when that one is free; a shared one takes its size of the device of its medium not held exclusively with
   * the most room left, or of the device holding its persistent data (the group's home) when that one has room. A
   * shared volume on an agent without a device of its medium gets none (null: the agent's data directory).
   */
  chooseDevices(d: Demand): (SchedDevice | null)[] | null {
    if (d.onDevices.length === 0) return NO_DEVICES;
    const chosen: (SchedDevice | null)[] = [];
    const home = d.group.home?.agent === this.base.endpoint ? d.group.home.devices : undefined;
    for (const v of d.onDevices) {
      const dev = v.exclusive ? this.exclusiveDevice(v.medium, v.size, chosen, home?.[v.path]) : this.sharedDevice(v.medium, v.size, chosen, d, home?.[v.path]);
      if (dev === undefined) return null;
      chosen.push(dev);
    }
    return chosen;
  }

  private exclusiveDevice(medium: string, size: number, chosen: readonly (SchedDevice | null)[], home?: string): SchedDevice | undefined {
    let best: SchedDevice | undefined;
    for (const dev of this.base.devices) {
      if (dev.medium !== medium || dev.size < size || this.deviceTaken(dev.path) || this.deviceUsed(dev.path) > 0 || chosen.includes(dev)) continue;
      if (dev.path === home) return dev;
      if (!best || dev.size < best.size || (dev.size === best.size && dev.path < best.path)) best = dev;
    }
    return best;
  }

  /** undefined: none has room; null: the agent has no device of the medium. */
  private sharedDevice(medium: string, size: number, chosen: readonly (SchedDevice | null)[], d: Demand, home?: string): SchedDevice | null | undefined {
    let best: SchedDevice | undefined;
    let bestRoom = -1;
    let any = false;
    for (const dev of this.base.devices) {
      if (dev.medium !== medium) continue;
      any = true;
      const room = this.roomLeft(dev, chosen, d);
      if (room < size) continue;
      if (dev.path === home) return dev;
      if (room > bestRoom || (room === bestRoom && dev.path < best!.path)) (best = dev), (bestRoom = room);
    }
    return any ? best : null;
  }

  /** A device's room for one more shared volume of the demand, after the volumes already chosen for it. */
  roomLeft(dev: SchedDevice, chosen: readonly (SchedDevice | null)[], d: Demand): number {
    let room = this.deviceRoom(dev);
    for (let i = 0; i < chosen.length; i++) {
      if (chosen[i] !== dev) continue;
      if (d.onDevices[i]!.exclusive) return 0;
      room -= d.onDevices[i]!.size;
    }
    return room;
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
  add(group: string, charged: Resources, batch: boolean, devices: readonly string[], profile?: SchedProfile, shares?: readonly DeviceShare[]): void {
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
    if (shares) this.share(shares, 1);
  }

  private share(shares: readonly DeviceShare[], sign: 1 | -1): void {
    if (shares.length === 0) return;
    if (!this.used) this.used = new Map(this.base.deviceUsed ?? []);
    for (const s of shares) this.used.set(s.path, this.deviceUsed(s.path) + sign * s.size);
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
    this.add(c.groupId, c.charged, batch, c.devices, c.profile, c.shares);
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
    w.used = this.used && new Map(this.used);
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
    if (c.shares) this.share(c.shares, -1);
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

const NO_DEVICES: (SchedDevice | null)[] = [];
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
