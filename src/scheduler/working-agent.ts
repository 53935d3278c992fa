// A mutable overlay on a SchedAgent for one scheduling pass: placements made in this pass update the overlay,
// never the caller's data (place() stays pure).
import type { Resources } from "../rpc/types.ts";
import type { SchedAgent } from "./types.ts";

export class WorkingAgent {
  readonly assigned: Resources;
  private ports: Set<number> | null = null; // copied on first write
  private counts: Map<string, number> | null = null;
  private nextPort: number;
  batchCount: number;

  constructor(readonly base: SchedAgent) {
    this.assigned = { ...base.assigned };
    this.nextPort = base.portMin;
    this.batchCount = base.batchCount;
  }

  get endpoint(): string {
    return this.base.endpoint;
  }

  free(): Resources {
    const t = this.base.total;
    const a = this.assigned;
    return { millicores: t.millicores - a.millicores, memory: t.memory - a.memory, disk: t.disk - a.disk, ssd: t.ssd - a.ssd };
  }

  portUsed(port: number): boolean {
    return (this.ports ?? this.base.usedPorts).has(port);
  }

  countOf(group: string): number {
    return (this.counts ?? this.base.groupCount).get(group) ?? 0;
  }

  /** Free dynamic ports left in the agent's range (an upper bound, ignoring fixed ports taken in this pass). */
  dynamicPortsFree(): number {
    if (this.base.portMax < this.base.portMin) return 0;
    return this.base.portMax - this.base.portMin + 1 - (this.ports ?? this.base.usedPorts).size;
  }

  /** Takes the lowest free port of the dynamic range, or null when none is left. */
  takeDynamicPort(): number | null {
    for (let p = this.nextPort; p <= this.base.portMax; p++) {
      if (!this.portUsed(p)) {
        this.markPort(p);
        this.nextPort = p + 1;
        return p;
      }
    }
    return null;
  }

  markPort(port: number): void {
    if (!this.ports) this.ports = new Set(this.base.usedPorts);
    this.ports.add(port);
  }

  addContainer(group: string, r: Resources, batch: boolean): void {
    this.assigned.millicores += r.millicores;
    this.assigned.memory += r.memory;
    this.assigned.disk += r.disk;
    this.assigned.ssd += r.ssd;
    if (!this.counts) this.counts = new Map(this.base.groupCount);
    this.counts.set(group, this.countOf(group) + 1);
    if (batch) this.batchCount++;
  }

  /** Dominant share of the agent's capacity in use (0..1): the bin-pack and spread score. */
  dominantShare(): number {
    const t = this.base.total;
    const a = this.assigned;
    const share = (used: number, total: number) => (total > 0 ? used / total : 0);
    return Math.max(share(a.millicores, t.millicores), share(a.memory, t.memory), share(a.disk, t.disk), share(a.ssd, t.ssd));
  }
}
