// The soft placement table: every container ResMan knows, indexed by agent and by group, with each agent's load
// (charged resources, ports, per-group counts, batch count, exclusive devices) kept incrementally so a scheduling
// pass never re-sums containers.
import type { PortBinding, Resources } from "../rpc/types.ts";
import type { VolumeBinding } from "../scheduler/index.ts";
import type { ContainerRec } from "./state.ts";

export interface AgentLoad {
  assigned: Resources;
  ports: Set<number>;
  groupCount: Map<string, number>;
  /** Its batch and best-effort containers (as they were when placed: a later type change does not skew the count). */
  batch: Set<string>;
  containers: Set<string>;
  devices: Set<string>;
}

const newLoad = (): AgentLoad => ({
  assigned: { millicores: 0, memory: 0, disk: 0, ssd: 0 },
  ports: new Set(),
  groupCount: new Map(),
  batch: new Set(),
  containers: new Set(),
  devices: new Set(),
});

export class PlacementTable {
  readonly containers = new Map<string, ContainerRec>();
  readonly byGroup = new Map<string, Set<string>>();
  readonly pending = new Set<string>();
  private readonly loads = new Map<string, AgentLoad>();

  constructor(private readonly isBatch: (group: string) => boolean) {}

  load(agent: string): AgentLoad {
    let l = this.loads.get(agent);
    if (!l) this.loads.set(agent, (l = newLoad()));
    return l;
  }

  get(id: string): ContainerRec | undefined {
    return this.containers.get(id);
  }

  ofGroup(group: string): ContainerRec[] {
    return [...(this.byGroup.get(group) ?? [])].map((id) => this.containers.get(id)!);
  }

  ofAgent(agent: string): ContainerRec[] {
    return [...(this.loads.get(agent)?.containers ?? [])].map((id) => this.containers.get(id)!);
  }

  add(c: ContainerRec): void {
    if (this.containers.has(c.id)) throw new Error(`invariant: container ${c.id} added twice`);
    this.containers.set(c.id, c);
    let g = this.byGroup.get(c.group);
    if (!g) this.byGroup.set(c.group, (g = new Set()));
    g.add(c.id);
    if (c.agent) this.charge(c);
    else this.pending.add(c.id);
  }

  /** Places a pending container on an agent. */
  assign(c: ContainerRec, agent: string, ports: PortBinding[], charged: Resources, bindings: VolumeBinding[]): void {
    if (c.agent) throw new Error(`invariant: container ${c.id} is already on ${c.agent}`);
    this.pending.delete(c.id);
    c.agent = agent;
    c.ports = ports;
    c.charged = charged;
    c.bindings = bindings;
    c.evictedFrom = "";
    c.preemptedBy = "";
    c.lastError = "";
    c.reasons = {};
    this.charge(c);
  }

  /** Takes a container off its agent and back to pending. */
  unassign(c: ContainerRec): void {
    if (!c.agent) return;
    this.release(c);
    c.agent = "";
    c.ports = [];
    c.bindings = [];
    c.state = "pending";
    c.pid = 0;
    this.pending.add(c.id);
  }

  remove(c: ContainerRec): void {
    if (c.agent) this.release(c);
    this.pending.delete(c.id);
    this.containers.delete(c.id);
    this.byGroup.get(c.group)?.delete(c.id);
    if (this.byGroup.get(c.group)?.size === 0) this.byGroup.delete(c.group);
  }

  /** Forgets an agent's (empty) load when the agent is removed. */
  dropAgent(agent: string): void {
    if ((this.loads.get(agent)?.containers.size ?? 0) > 0) throw new Error(`invariant: agent ${agent} still has containers`);
    this.loads.delete(agent);
  }

  private charge(c: ContainerRec): void {
    const l = this.load(c.agent);
    addRes(l.assigned, c.charged, 1);
    for (const p of c.ports) l.ports.add(p.port);
    for (const b of c.bindings) l.devices.add(b.hostPath);
    l.groupCount.set(c.group, (l.groupCount.get(c.group) ?? 0) + 1);
    if (this.isBatch(c.group)) l.batch.add(c.id);
    l.containers.add(c.id);
  }

  private release(c: ContainerRec): void {
    const l = this.load(c.agent);
    addRes(l.assigned, c.charged, -1);
    for (const p of c.ports) l.ports.delete(p.port);
    for (const b of c.bindings) l.devices.delete(b.hostPath);
    const n = (l.groupCount.get(c.group) ?? 1) - 1;
    if (n > 0) l.groupCount.set(c.group, n);
    else l.groupCount.delete(c.group);
    l.batch.delete(c.id);
    l.containers.delete(c.id);
  }
}

export function addRes(to: Resources, r: Resources, sign: 1 | -1): void {
  to.millicores += sign * r.millicores;
  to.memory += sign * r.memory;
  to.disk += sign * r.disk;
  to.ssd += sign * r.ssd;
}
