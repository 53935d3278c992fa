// The soft placement table: every container ResMan knows, indexed by agent and by group, with each agent's load
// (charged resources, ports, per-group counts, batch count, exclusive devices, shared bytes per device) kept incrementally so a scheduling
// pass never re-sums containers. Per container: one slot in the ContainerIndex (by id and group) and one in its
// agent's list, both holding the record itself, so listing a group or an agent does no lookups (bench B5).
// Every change of where a container is (add, assign, unassign, remove) tells `touched` its group: the choke point of
// the hint versions (hint-versions.ts); other changes a hint shows go through touch().
import { withProfile, type MutableProfile, type SchedProfile } from "../scheduler/index.ts";
import type { PortBinding, Resources } from "../rpc/types.ts";
import type { VolumeBinding } from "../scheduler/index.ts";
import { ContainerIndex } from "./container-index.ts";
import { NO_PORTS, type ContainerRec } from "./state.ts";

export interface AgentLoad {
  assigned: Resources;
  ports: Set<number>;
  groupCount: Map<string, number>;
  /** Its batch and best-effort containers (as they were when placed: a later type change does not skew the count). */
  batch: Set<string>;
  /** Unordered; a release scans it from the end (releasing all of 20,000 containers on one agent: ~40 ms). */
  containers: ContainerRec[];
  /** Devices held whole by an exclusive volume. */
  devices: Set<string>;
  /** Bytes of shared volumes per device. */
  deviceUsed: Map<string, number>;
  /** The profiled containers' curves summed per point, and their charged peaks (none: no profiled container here). */
  profile?: MutableProfile;
  /** Each profiled container's curves as charged (a release takes off what was added, whatever its group says now). */
  profiled?: Map<string, SchedProfile>;
}

const newLoad = (): AgentLoad => ({
  assigned: { millicores: 0, memory: 0, disk: 0, ssd: 0 },
  ports: new Set(),
  groupCount: new Map(),
  batch: new Set(),
  containers: [],
  devices: new Set(),
  deviceUsed: new Map(),
});

export class PlacementTable {
  readonly containers = new ContainerIndex();
  readonly pending = new Set<string>();
  /** Old copies of containers moved make-before-break, by id@agent (see hold). */
  readonly leaving = new Map<string, ContainerRec>();
  private readonly loads = new Map<string, AgentLoad>();

  constructor(
    private readonly isBatch: (group: string) => boolean,
    private readonly touched: (group: string) => void = () => {},
    private readonly profileOf: (group: string) => SchedProfile | undefined = () => undefined,
  ) {}

  /** Something a hint of the group shows changed (state, pid, message, reasons, its spec). */
  touch(group: string): void {
    this.touched(group);
  }

  load(agent: string): AgentLoad {
    let l = this.loads.get(agent);
    if (!l) this.loads.set(agent, (l = newLoad()));
    return l;
  }

  get(id: string): ContainerRec | undefined {
    return this.containers.get(id);
  }

  ofGroup(group: string): ContainerRec[] {
    return this.containers.ofGroup(group);
  }

  ofAgent(agent: string): ContainerRec[] {
    const l = this.loads.get(agent);
    return l ? l.containers.slice() : [];
  }

  add(c: ContainerRec): void {
    this.containers.add(c);
    this.touched(c.group);
    if (c.agent) this.charge(c);
    else this.pending.add(c.id);
  }

  /** Places a pending container on an agent. */
  assign(c: ContainerRec, agent: string, ports: PortBinding[], charged: Resources, bindings: VolumeBinding[]): void {
    if (c.agent) throw new Error(`invariant: container ${c.id} is already on ${c.agent}`);
    this.pending.delete(c.id);
    c.agent = agent;
    c.ports = ports.length > 0 ? ports : NO_PORTS;
    c.charged = charged; // kept as its resources (no second object) when equal
    c.bindings = bindings;
    c.evictedFrom = "";
    c.preemptedBy = "";
    c.lastError = "";
    c.reasons = {};
    c.move = "";
    c.moveBlocked = "";
    c.moveTo = "";
    this.charge(c);
    this.touched(c.group);
  }

  /** Takes a container off its agent and back to pending. */
  unassign(c: ContainerRec): void {
    if (!c.agent) return;
    this.release(c);
    c.agent = "";
    c.ports = NO_PORTS;
    c.bindings = [];
    c.charged = c.resources;
    c.state = "pending";
    c.pid = 0;
    c.move = "";
    c.moveBlocked = "";
    this.pending.add(c.id);
    this.touched(c.group);
  }

  remove(c: ContainerRec): void {
    if (c.agent) this.release(c);
    this.pending.delete(c.id);
    this.containers.delete(c);
    this.touched(c.group);
  }

  /**
   * Holds the old copy of a container moved make-before-break (a record of its own, same id) on its agent: charged
   * there and in that agent's cap set until letGo. Not in the index: the container's own record is the new copy.
   */
  hold(copy: ContainerRec): void {
    this.leaving.set(leavingKey(copy.id, copy.agent), copy);
    this.charge(copy);
    this.touched(copy.group);
  }

  letGo(copy: ContainerRec): void {
    if (!this.leaving.delete(leavingKey(copy.id, copy.agent))) return;
    this.release(copy);
    this.touched(copy.group);
  }

  /** The old copy of container `id` still held on `agent`, if any. */
  leavingCopy(id: string, agent: string): ContainerRec | undefined {
    return this.leaving.size === 0 ? undefined : this.leaving.get(leavingKey(id, agent));
  }

  isLeaving(c: ContainerRec): boolean {
    return this.leaving.size > 0 && this.leaving.get(leavingKey(c.id, c.agent)) === c;
  }

  /** Forgets an agent's (empty) load when the agent is removed. */
  dropAgent(agent: string): void {
    if ((this.loads.get(agent)?.containers.length ?? 0) > 0) throw new Error(`invariant: agent ${agent} still has containers`);
    this.loads.delete(agent);
  }

  private charge(c: ContainerRec): void {
    const l = this.load(c.agent);
    addRes(l.assigned, c.charged, 1);
    for (const p of c.ports) l.ports.add(p.port);
    for (const b of c.bindings) {
      if (b.shared) l.deviceUsed.set(b.hostPath, (l.deviceUsed.get(b.hostPath) ?? 0) + b.size);
      else l.devices.add(b.hostPath);
    }
    l.groupCount.set(c.group, (l.groupCount.get(c.group) ?? 0) + 1);
    if (this.isBatch(c.group)) l.batch.add(c.id);
    l.containers.push(c);
    const p = this.profileOf(c.group);
    if (p) {
      l.profile = withProfile(l.profile, p, c.charged.millicores, c.charged.memory, true);
      (l.profiled ??= new Map()).set(c.id, p);
    }
  }

  private release(c: ContainerRec): void {
    const l = this.load(c.agent);
    addRes(l.assigned, c.charged, -1);
    for (const p of c.ports) l.ports.delete(p.port);
    for (const b of c.bindings) {
      if (!b.shared) l.devices.delete(b.hostPath);
      else if ((l.deviceUsed.get(b.hostPath) ?? 0) - b.size > 0) l.deviceUsed.set(b.hostPath, l.deviceUsed.get(b.hostPath)! - b.size);
      else l.deviceUsed.delete(b.hostPath);
    }
    const n = (l.groupCount.get(c.group) ?? 1) - 1;
    if (n > 0) l.groupCount.set(c.group, n);
    else l.groupCount.delete(c.group);
    l.batch.delete(c.id);
    removeFrom(l.containers, c);
    const p = l.profiled?.get(c.id);
    if (p && l.profile) {
      l.profiled!.delete(c.id);
      if (l.profiled!.size === 0) (l.profile = undefined), (l.profiled = undefined);
      else withProfile(l.profile, p, c.charged.millicores, c.charged.memory, true, -1);
    }
  }
}

const leavingKey = (id: string, agent: string) => `${id}@${agent}`;

/** Swap-remove: an array slot per container instead of a Set entry (~30 bytes less), order not kept. */
function removeFrom(list: ContainerRec[], c: ContainerRec): void {
  const i = list.lastIndexOf(c);
  if (i < 0) throw new Error(`invariant: container ${c.id} is not in its agent's list`);
  const last = list.pop()!;
  if (i < list.length) list[i] = last;
}

export function addRes(to: Resources, r: Resources, sign: 1 | -1): void {
  to.millicores += sign * r.millicores;
  to.memory += sign * r.memory;
  to.disk += sign * r.disk;
  to.ssd += sign * r.ssd;
}
