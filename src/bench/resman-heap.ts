// ResMan's live heap per container, in process: the real ResManCore filled through its real API (heartbeats decoded
// from protobuf bytes, as the server hands them over, so every report's strings and objects are fresh), then a full
// GC and JSC's heap statistics. The fast loop behind BENCHMARKS.md's B5 figures.
//
//   agents register ──► groups created ──► one tick places them all ──► each agent fetches its caps
//   ──► `rounds` full reports of every container (decoded bytes) ──► fullGC ──► heap - empty core = per container
//
//   node_modules/.bin/bun src/bench/resman-heap.ts [containers=1000000] [agents=10000] [rounds=2] [usage=0]
//   (usage=1: every report carries a non-zero usage, as real agents send; the bench's simulated agents send none)
import { fullGC, heapStats } from "bun:jsc";
import { decode, encode } from "../rpc/index.ts";
import type { Cap, HeartbeatRequest } from "../rpc/types.ts";
import { ResManCore } from "../resman/core.ts";
import { DEFAULT_CONFIG } from "../resman/state.ts";
import { agentInfoOf, groupSpecOf, runningReport, ZERO_USAGE } from "./protocol.ts";
import { c1mGroups, syntheticFleet, type Shape } from "./workload.ts";

export interface HeapFigures {
  containers: number;
  agents: number;
  /** Heap after a full GC with agents and groups but no containers reported yet... */
  baseBytes: number;
  /** ...and with every container placed and reported `rounds` times. */
  filledBytes: number;
  bytesPerContainer: number;
  objectsPerContainer: number;
  /** Live cells of each JSC type added by the containers, largest first. */
  perType: { type: string; perContainer: number }[];
  rssMiB: number;
}

const AGENT: Shape = { millicores: 32_000, memory: 128 * 1024 ** 3, disk: 1024 ** 4 };
const CONTAINER: Shape = { millicores: 250, memory: 1024 ** 3, disk: 0 };

/** Fills a ResManCore with `containers` (groups of 1,000) on `agents` and measures the heap they hold. */
export function measureResManHeap(containers: number, agents: number, rounds = 2, withUsage = false): HeapFigures {
  const cfg = { ...DEFAULT_CONFIG, safeModeFraction: 0, recoveryMs: 0, agentTimeoutMs: 3_600_000 };
  const core = new ResManCore(cfg, 1, { agents: [], groups: [], pools: ["default"] }, 0);
  const infos = syntheticFleet(agents, [AGENT]).map((a) => agentInfoOf(a.endpoint, AGENT));
  const state = infos.map(() => ({ capsVersion: 0, caps: [] as Cap[] }));
  const beat = (i: number, now: number, full: boolean) => {
    const usage = withUsage ? { millicores: 100 + i, memoryRss: 2 ** 28, memoryCache: 2 ** 20, disk: 0, at: now } : ZERO_USAGE;
    const reports = full ? state[i]!.caps.map((c) => ({ ...runningReport(c, c.grantedAt), usage })) : [];
    const req: Partial<HeartbeatRequest> = { agent: infos[i]!, epochSeen: 1, capsEpoch: 1, capsVersion: state[i]!.capsVersion, full: true, usage: ZERO_USAGE };
    const bytes = encode("HeartbeatRequest", { ...req, containers: reports });
    const { reply } = core.heartbeat(decode<HeartbeatRequest>("HeartbeatRequest", bytes), now);
    if (reply.capsChanged) Object.assign(state[i]!, { capsVersion: reply.capsVersion, caps: reply.caps });
  };
  for (let i = 0; i < agents; i++) beat(i, 1, false);
  const size = 1000;
  const groups = c1mGroups(Math.ceil(containers / size), size, CONTAINER);
  core.tick(2);
  const base = snapshot();
  for (const g of groups) core.createGroup(groupSpecOf({ ...g, replica: Math.min(size, containers - groups.indexOf(g) * size) }), 3);
  core.tick(4);
  for (let i = 0; i < agents; i++) beat(i, 5, false); // fetch the caps
  for (let r = 0; r < rounds; r++) for (let i = 0; i < agents; i++) beat(i, 6 + r, true);
  for (const s of state) s.caps = []; // the agents' side is not ResMan's
  const filled = snapshot();
  const n = core.placement.containers.size;
  const perType = Object.entries(filled.types)
    .map(([type, count]) => ({ type, perContainer: (count - (base.types[type] ?? 0)) / n }))
    .filter((t) => t.perContainer >= 0.05)
    .sort((x, y) => y.perContainer - x.perContainer);
  return {
    containers: n, agents, baseBytes: base.bytes, filledBytes: filled.bytes, bytesPerContainer: (filled.bytes - base.bytes) / n,
    objectsPerContainer: (filled.objects - base.objects) / n, perType, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}

function snapshot(): { bytes: number; objects: number; types: Record<string, number> } {
  fullGC();
  fullGC();
  const s = heapStats();
  return { bytes: s.heapSize, objects: s.objectCount, types: s.objectTypeCounts };
}

if (import.meta.main) {
  const [containers = 1_000_000, agents = 10_000, rounds = 2, usage = 0] = process.argv.slice(2).map(Number);
  const t0 = performance.now();
  const f = measureResManHeap(containers, agents, rounds, usage === 1);
  console.log(`${f.containers} containers on ${f.agents} agents, ${rounds} full reports each${usage ? " with usage" : ""} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  console.log(`heap ${(f.baseBytes / 2 ** 20).toFixed(1)} -> ${(f.filledBytes / 2 ** 20).toFixed(1)} MiB: ${f.bytesPerContainer.toFixed(0)} B and ${f.objectsPerContainer.toFixed(2)} cells per container; RSS ${f.rssMiB} MiB`);
  for (const t of f.perType) console.log(`  ${t.type.padEnd(24)} ${t.perContainer.toFixed(2)} per container`);
}
