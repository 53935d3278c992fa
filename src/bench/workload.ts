// Synthetic workloads for the scheduler benchmark: a fleet of agents (mutable SchedAgents the drivers feed
// placements back into), the C1M shape (M groups x K replicas), and the checks every run ends with: nothing
// over-committed, max_per_host held, every container placed at most once.
import { InvalidError } from "../core/errors.ts";
import { parseSize } from "../core/units.ts";
import type { JobType, Resources } from "../rpc/types.ts";
import { AntiAffinityIndex, type AntiAffinityRule, type Placement, type SchedAgent, type SchedAntiAffinity, type SchedGroup, type SchedProfile, type ScoreKind } from "../scheduler/index.ts";
import { peakOf, withProfile, type MutableProfile } from "../scheduler/profile.ts";

/** A SchedAgent the benchmark owns and updates between scheduling passes. */
export interface FleetAgent extends SchedAgent {
  assigned: Resources;
  profile?: MutableProfile;
  usedPorts: Set<number>;
  groupCount: Map<string, number>;
  batchCount: number;
}

export type { Shape } from "../rpc/complete.ts";
import type { Shape } from "../rpc/complete.ts";

/** "32/128G" or "32/128G/1T" (cores/memory[/disk]); cores may be "250m" or "0.25". */
export function parseShape(text: string): Shape {
  const parts = text.trim().split("/");
  if (parts.length < 2 || parts.length > 3) throw new InvalidError(`shape ${JSON.stringify(text)} is not CPU/MEMORY[/DISK]`);
  const cpu = parts[0]!.endsWith("m") ? Number(parts[0]!.slice(0, -1)) : Number(parts[0]) * 1000;
  if (!Number.isFinite(cpu) || cpu <= 0) throw new InvalidError(`shape ${JSON.stringify(text)}: bad cpu ${JSON.stringify(parts[0])}`);
  return { millicores: Math.round(cpu), memory: parseSize(parts[1]!), disk: parts[2] ? parseSize(parts[2]) : 0 };
}

export function fleetAgent(endpoint: string, total: Shape, pool = "default", loadTarget?: number): FleetAgent {
  // a plain literal (no spread): the scheduler reads these objects' fields millions of times per run
  const a: FleetAgent = {
    endpoint, pool, labels: [], state: "alive", total: { millicores: total.millicores, memory: total.memory, disk: total.disk, ssd: 0 },
    assigned: { millicores: 0, memory: 0, disk: 0, ssd: 0 }, usedPorts: new Set(), portMin: 20000, portMax: 20999,
    groupCount: new Map(), batchCount: 0, maxBatch: 0, devices: [], takenDevices: new Set(),
    idle: { millicores: 0, memory: 0, disk: 0, ssd: 0 }, pressure: false, containers: [],
  };
  return loadTarget === undefined ? a : { ...a, loadTarget };
}

/** `count` agents, taking the shapes in turn. */
export function syntheticFleet(count: number, shapes: readonly Shape[]): FleetAgent[] {
  if (shapes.length === 0) throw new InvalidError("at least one agent shape is needed");
  return Array.from({ length: count }, (_, i) => fleetAgent(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:1646`, shapes[i % shapes.length]!));
}

export interface GroupDef {
  id: string;
  replica: number;
  resources: Resources;
  maxPerHost: number;
  jobType: JobType;
  /** Spread over agents instead of bin-packing (default false). */
  spread?: boolean;
  /** How agents are ranked ("" or absent: the scheduler's default). */
  score?: ScoreKind | "";
  /** Usage curves (millicores, bytes per point): checked at every point instead of at the peak (item 3). */
  profile?: SchedProfile;
  /** Where this group runs, at most maxPerHost of each group named (group ids are the job names here). */
  antiAffinity?: AntiAffinityRule[];
}

/** The C1M shape: `groups` groups of `replicas` identical containers. */
export function c1mGroups(groups: number, replicas: number, container: Shape): GroupDef[] {
  const width = String(groups).length;
  return Array.from({ length: groups }, (_, i) => ({
    id: `c1m-${String(i).padStart(width, "0")}`, replica: replicas, maxPerHost: 0, jobType: "service",
    resources: { millicores: container.millicores, memory: container.memory, disk: container.disk, ssd: 0 },
  }));
}

/** The scheduler's view of a group; `rules` resolves its anti-affinity (the whole workload indexed, see ruleIndexOf). */
export function schedGroupOf(d: GroupDef, rules?: AntiAffinityIndex): SchedGroup {
  // a plain literal, every key present (no spread): the checks read these objects in the hottest loop
  return {
    id: d.id, jobType: d.jobType, resources: d.resources, ports: [], volumes: [], pools: ["default"], labels: [],
    antiAffinity: rules?.rulesFor(ruleOwnerOf(d)), score: d.score || undefined, profile: d.profile,
    maxPerHost: d.maxPerHost, spread: d.spread === true, blacklist: [], pending: Array.from({ length: d.replica }, (_, i) => `${d.id}.${i}`),
  };
}

const ruleOwnerOf = (d: GroupDef) => ({ id: d.id, user: "", name: d.id, antiAffinity: d.antiAffinity ?? [] });

/** Every group's rules indexed (null when no group has any): a group not submitted yet has no container to count. */
export function ruleIndexOf(groups: readonly GroupDef[]): AntiAffinityIndex | undefined {
  if (!groups.some((g) => g.antiAffinity?.length)) return undefined;
  const ix = new AntiAffinityIndex();
  for (const g of groups) ix.set(ruleOwnerOf(g));
  return ix;
}

/** Feeds one pass's placements back into the fleet, as ResMan's placement table does. */
export function applyPlacements(byEndpoint: ReadonlyMap<string, FleetAgent>, groups: ReadonlyMap<string, GroupDef>, ps: readonly Placement[]): void {
  let def: GroupDef | undefined; // a pass's placements come group by group: look each group up once
  for (const p of ps) {
    if (def?.id !== p.groupId) def = groups.get(p.groupId);
    const a = byEndpoint.get(p.agent)!;
    const r = p.charged ?? def!.resources;
    a.assigned.millicores += r.millicores;
    a.assigned.memory += r.memory;
    a.assigned.disk += r.disk;
    a.assigned.ssd += r.ssd;
    a.groupCount.set(p.groupId, (a.groupCount.get(p.groupId) ?? 0) + 1);
    for (const port of p.ports) a.usedPorts.add(port.port);
    const prof = def?.profile;
    if (prof) a.profile = withProfile(a.profile, prof, r.millicores, r.memory, true);
  }
}

export interface FleetMetrics {
  agentsUsed: number;
  /** assigned / total over the agents used, per dimension. */
  cpuPacking: number;
  memoryPacking: number;
  /** assigned / total over the whole fleet. */
  cpuUtilization: number;
  memoryUtilization: number;
}

export function fleetMetrics(agents: readonly SchedAgent[]): FleetMetrics {
  let used = 0;
  const u = { cpuA: 0, cpuT: 0, memA: 0, memT: 0 };
  const all = { cpuT: 0, memT: 0 };
  for (const a of agents) {
    all.cpuT += a.total.millicores;
    all.memT += a.total.memory;
    if (a.assigned.millicores === 0 && a.assigned.memory === 0 && a.assigned.disk === 0) continue;
    used++;
    u.cpuA += a.assigned.millicores;
    u.cpuT += a.total.millicores;
    u.memA += a.assigned.memory;
    u.memT += a.total.memory;
  }
  const ratio = (x: number, y: number) => (y > 0 ? x / y : 0);
  return {
    agentsUsed: used, cpuPacking: ratio(u.cpuA, u.cpuT), memoryPacking: ratio(u.memA, u.memT),
    cpuUtilization: ratio(u.cpuA, all.cpuT), memoryUtilization: ratio(u.memA, all.memT),
  };
}

/** Broken invariants after a run: an over-committed agent, max_per_host exceeded. Empty when all is well. */
export function violations(agents: readonly SchedAgent[], groups: ReadonlyMap<string, GroupDef>): string[] {
  const out: string[] = [];
  const placedPer = new Map<string, number>();
  for (const a of agents) {
    const used = inUse(a);
    for (const dim of ["millicores", "memory", "disk", "ssd"] as const) {
      if (used[dim] > a.total[dim]) out.push(`${a.endpoint}: ${dim} over-committed (${used[dim]} > ${a.total[dim]})`);
    }
    for (const [g, n] of a.groupCount) {
      placedPer.set(g, (placedPer.get(g) ?? 0) + n);
      const max = groups.get(g)?.maxPerHost ?? 0;
      if (max > 0 && n > max) out.push(`${a.endpoint}: ${n} containers of ${g} (max_per_host ${max})`);
    }
  }
  for (const [g, n] of placedPer) {
    const want = groups.get(g)?.replica ?? 0;
    if (n > want) out.push(`group ${g}: ${n} placed but only ${want} wanted`);
  }
  return out;
}

/** What an agent has in use: its charges, with profiled containers at the peak of their summed curves. */
function inUse(a: SchedAgent): Resources {
  const p = a.profile;
  if (!p) return a.assigned;
  return { ...a.assigned, millicores: a.assigned.millicores - p.peakCpu + peakOf(p.cpu), memory: a.assigned.memory - p.peakMemory + peakOf(p.memory) };
}

/** Pending containers (of groups with some unplaced) that would still fit on some agent: 0 after a maximal pass. */
export function stillFitting(agents: readonly SchedAgent[], groups: readonly GroupDef[], placedOf: (g: string) => number, rules = ruleIndexOf(groups)): number {
  let n = 0;
  for (const g of groups) {
    const left = g.replica - placedOf(g.id);
    if (left <= 0) continue;
    const anti = rules?.rulesFor(ruleOwnerOf(g)) ?? [];
    let room = 0;
    for (const a of agents) room += Math.min(left, roomFor(a, g, anti));
    n += Math.min(left, room);
  }
  return n;
}

/** How many more containers of the group this agent could take (resources, max_per_host, anti-affinity). */
export function roomFor(a: SchedAgent, g: GroupDef, anti: readonly SchedAntiAffinity[] = []): number {
  let room = Infinity;
  for (const dim of ["millicores", "memory", "disk", "ssd"] as const) {
    const need = g.resources[dim];
    if (need > 0) room = Math.min(room, Math.floor((a.total[dim] - a.assigned[dim]) / need));
  }
  if (g.maxPerHost > 0) room = Math.min(room, g.maxPerHost - (a.groupCount.get(g.id) ?? 0));
  for (const r of anti) {
    if (r.holders.length > 0 && !r.holders.some((h) => (a.groupCount.get(h) ?? 0) > 0)) continue;
    let counted = 0;
    for (const c of r.counted) counted += a.groupCount.get(c) ?? 0;
    // each new container counts when its own group is counted; else the rule only asks the others to be few enough
    room = Math.min(room, r.counted.includes(g.id) ? r.maxPerHost - counted : counted <= r.maxPerHost ? room : 0);
  }
  return Math.max(0, room === Infinity ? 1_000_000 : room);
}

/** Deep copy of a fleet, so every run starts from the same empty (or pre-loaded) state. */
export function cloneFleet(agents: readonly FleetAgent[]): FleetAgent[] {
  return agents.map((a) => ({
    ...a, total: { ...a.total }, assigned: { ...a.assigned }, usedPorts: new Set(a.usedPorts), groupCount: new Map(a.groupCount),
    ...(a.profile ? { profile: { ...a.profile, cpu: Float64Array.from(a.profile.cpu), memory: Float64Array.from(a.profile.memory) } } : {}),
  }));
}
