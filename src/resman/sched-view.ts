// The scheduler's view of ResMan's state: a SchedGroup per group, a SchedAgent per agent kept across passes
// (core-schedule.ts runs the passes; core-moves.ts asks where one container could go).
import { jobTypeOf, type Resources } from "../core/domain.ts";
import type { GroupSpec } from "../rpc/types.ts";
import type { AntiAffinityIndex, ScoreKind, SchedAgent, SchedContainer, SchedGroup } from "../scheduler/index.ts";
import type { CoreState } from "./core-state.ts";
import type { AgentLoad } from "./placement.ts";
import { profileOf } from "./profiles.ts";
import type { AgentRec, ContainerRec } from "./state.ts";

/** The scheduler's view of a group; its anti-affinity rules (its own and the reverse of others') from the index. */
export function schedGroup(s: GroupSpec, pending: string[], rules?: AntiAffinityIndex): SchedGroup {
  return {
    id: s.id, jobType: jobTypeOf(s.jobType), resources: s.resources, ports: s.ports, volumes: s.volumes,
    pools: s.pools, labels: s.labels, maxPerHost: s.maxPerHost, spread: s.spread, blacklist: s.blacklist, pending,
    antiAffinity: rules?.rulesFor(s), score: (s.score || undefined) as ScoreKind | undefined, profile: profileOf(s),
  };
}

export function agentSchedState(a: AgentRec): SchedAgent["state"] {
  return a.dead ? "dead" : a.admin === "active" ? "alive" : a.admin;
}

/**
 * ResMan's view of one agent for the scheduler (bench B2): made once per AgentRec and kept. Its resources, ports,
 * group counts and devices are the placement table's live objects; the fields an agent's record replaces (state,
 * batch count, idle, pressure, info) are copied in by refresh(), which place() calls when a pass first reads the
 * agent: plain fields, which the scheduler reads far more often than a pass builds, and nothing for agents a pass
 * never reads. The containers (read only by preemption) are listed when asked.
 */
class AgentView implements SchedAgent {
  readonly endpoint: string;
  readonly assigned: Resources;
  readonly usedPorts: ReadonlySet<number>;
  readonly groupCount: ReadonlyMap<string, number>;
  readonly takenDevices: ReadonlySet<string>;
  readonly deviceUsed: ReadonlyMap<string, number>;
  // copied from the record by refresh()
  pool!: string;
  labels!: readonly string[];
  state!: SchedAgent["state"];
  total!: Resources;
  portMin!: number;
  portMax!: number;
  batchCount!: number;
  maxBatch!: number;
  devices!: SchedAgent["devices"];
  idle!: Resources;
  pressure!: boolean;
  loadTarget?: number;
  profile?: SchedAgent["profile"];
  private readonly load: AgentLoad;

  constructor(private readonly core: CoreState, private readonly a: AgentRec) {
    // the load is one object for the agent's life in the placement table (dropped with the agent)
    const l = (this.load = core.placement.load(a.endpoint));
    this.endpoint = a.endpoint;
    this.assigned = l.assigned;
    this.usedPorts = l.ports;
    this.groupCount = l.groupCount;
    this.takenDevices = l.devices;
    this.deviceUsed = l.deviceUsed;
    this.refresh();
  }

  refresh(): void {
    const a = this.a;
    this.pool = a.pool;
    this.labels = a.labels;
    this.state = agentSchedState(a);
    this.total = a.info.total;
    this.portMin = a.info.portMin;
    this.portMax = a.info.portMax;
    this.batchCount = this.load.batch.size;
    this.maxBatch = a.info.maxBatch;
    this.devices = a.info.volumes;
    this.idle = a.idle;
    this.pressure = a.pressure;
    const cfg = this.core.cfg;
    this.loadTarget = cfg.poolLoadTargets?.[a.pool] ?? cfg.loadTarget;
    this.profile = this.load.profile;
  }

  get containers(): readonly SchedContainer[] {
    // a leaving copy (core-moves.ts) is no victim: its pod already runs elsewhere, and it goes when it ended
    return this.core.placement.ofAgent(this.a.endpoint).filter((c) => !this.core.placement.isLeaving(c)).map((c) => schedContainer(this.core, c));
  }
}

const views = new WeakMap<AgentRec, AgentView>();
const viewLists = new WeakMap<CoreState, { agentSet: number; list: AgentView[] }>();

function viewOf(core: CoreState, a: AgentRec): AgentView {
  let v = views.get(a);
  if (!v) views.set(a, (v = new AgentView(core, a)));
  return v;
}

/** One agent's view, up to date (a pass over schedAgents() brings each up to date as it first reads it). */
export function schedAgent(core: CoreState, a: AgentRec): SchedAgent {
  const v = viewOf(core, a);
  v.refresh();
  return v;
}

/** Every agent's view, in the agents' order: the same objects in the same array until an agent comes or goes. */
export function schedAgents(core: CoreState): readonly SchedAgent[] {
  let cached = viewLists.get(core);
  if (!cached || cached.agentSet !== core.agentSet) {
    const list: AgentView[] = [];
    for (const a of core.agents.values()) list.push(viewOf(core, a));
    viewLists.set(core, (cached = { agentSet: core.agentSet, list }));
  }
  return cached.list;
}

function schedContainer(core: CoreState, c: ContainerRec): SchedContainer {
  const jobType = jobTypeOf(core.groups.get(c.group)?.spec.jobType ?? "");
  const held = c.bindings.filter((b) => !b.shared).map((b) => b.hostPath);
  const shares = c.bindings.filter((b) => b.shared).map((b) => ({ path: b.hostPath, size: b.size }));
  const profile = core.placement.load(c.agent).profiled?.get(c.id);
  return { id: c.id, groupId: c.group, jobType, charged: c.charged, ports: c.ports.map((p) => p.port), devices: held, shares, ...(profile ? { profile } : {}) };
}

