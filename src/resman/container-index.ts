// Every container ResMan knows, by id and by group, in one structure: a group's containers sit in an array at their
// index (replicas are numbered 0..n-1, and a container's id is `${group}.${index}`), so a container costs one array
// slot here instead of an entry in a Map by id plus one in a Set per group (bench B5: ~80 bytes per container less).
// A lookup by id splits the id at its last dot. The rare container whose id is not `${group}.${index}` (an orphan an
// agent reported under an odd name) is kept aside, by id, and still listed with its group.
import { containerId } from "./state.ts";
import type { ContainerRec } from "./container-rec.ts";

interface GroupSlots {
  /** Containers whose id is `${group}.${index}`, at their index (undefined where there is none). */
  slots: (ContainerRec | undefined)[];
  /** The others, also in ContainerIndex.odd by id. */
  others: Set<ContainerRec> | null;
  size: number;
}

/** A slot index further than this past a group's last one goes aside instead (no huge sparse arrays). */
const MAX_GAP = 1 << 16;

export class ContainerIndex {
  private readonly groups = new Map<string, GroupSlots>();
  private readonly odd = new Map<string, ContainerRec>();
  private count = 0;
  /** The group last looked up: runs of ids of one group (AppMaster's hints, a group's reports) skip the slice + hash. */
  private lastName = "";
  private lastSlots: GroupSlots | undefined;

  get size(): number {
    return this.count;
  }

  get(id: string): ContainerRec | undefined {
    const dot = id.lastIndexOf(".");
    const index = dot > 0 ? slotIndex(id, dot + 1) : -1;
    if (index >= 0) {
      let g: GroupSlots | undefined;
      if (dot === this.lastName.length && id.startsWith(this.lastName)) g = this.lastSlots;
      else {
        const name = id.slice(0, dot);
        g = this.groups.get(name);
        if (g) {
          this.lastName = name;
          this.lastSlots = g;
        }
      }
      const c = g?.slots[index];
      if (c) return c;
    }
    return this.odd.size > 0 ? this.odd.get(id) : undefined;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  add(c: ContainerRec): void {
    if (this.has(c.id)) throw new Error(`invariant: container ${c.id} added twice`);
    let g = this.groups.get(c.group);
    if (!g) {
      this.groups.set(c.group, (g = { slots: [], others: null, size: 0 }));
      this.lastName = "";
    }
    if (c.index >= 0 && c.index <= g.slots.length + MAX_GAP && c.id === containerId(c.group, c.index)) {
      while (g.slots.length < c.index) g.slots.push(undefined); // dense, never holey
      g.slots[c.index] = c;
    } else {
      (g.others ??= new Set()).add(c);
      this.odd.set(c.id, c);
    }
    g.size++;
    this.count++;
  }

  delete(c: ContainerRec): boolean {
    const g = this.groups.get(c.group);
    if (!g) return false;
    if (g.slots[c.index] === c) {
      g.slots[c.index] = undefined;
      while (g.slots.length > 0 && g.slots[g.slots.length - 1] === undefined) g.slots.pop();
    } else if (g.others?.delete(c)) {
      this.odd.delete(c.id);
      if (g.others.size === 0) g.others = null;
    } else return false;
    g.size--;
    this.count--;
    if (g.size === 0) {
      this.groups.delete(c.group);
      this.lastName = "";
      this.lastSlots = undefined;
    }
    return true;
  }

  /** A group's containers, by index (the oddly named ones last). */
  ofGroup(group: string): ContainerRec[] {
    const g = this.groups.get(group);
    if (!g) return [];
    const out: ContainerRec[] = [];
    for (const c of g.slots) if (c) out.push(c);
    if (g.others) for (const c of g.others) out.push(c);
    return out;
  }

  /** How many containers a group has. */
  sizeOf(group: string): number {
    return this.groups.get(group)?.size ?? 0;
  }

  /** Groups that have containers (requested or held). */
  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  *values(): IterableIterator<ContainerRec> {
    for (const g of this.groups.values()) {
      for (const c of g.slots) if (c) yield c;
      if (g.others) yield* g.others;
    }
  }
}

/** The index in `id` from `from` on, when it is written as containerId() writes it (decimal, no leading zero), else -1. */
function slotIndex(id: string, from: number): number {
  const len = id.length - from;
  if (len < 1 || len > 9 || (len > 1 && id.charCodeAt(from) === 48)) return -1;
  let n = 0;
  for (let i = from; i < id.length; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
