// Operators' changes to agents (offline, online, drain, remove, pool, labels) and what follows from them: containers
// that may no longer stay where they are move away (core-moves.ts: batch at once, services by AppMaster within their
// disruption budget, make-before-break), and an agent under memory pressure gives up best-effort containers first.
import { ConflictError, InvalidError, NotFoundError } from "../core/errors.ts";
import { dropLeavingOn } from "./core-moves.ts";
import type { CoreState } from "./core-state.ts";
import { agentHard, type AdminState, type AgentRec, type Write } from "./state.ts";

export function mustAgent(core: CoreState, endpoint: string): AgentRec {
  const a = core.agents.get(endpoint);
  if (a) return a;
  const matches = [...core.agents.keys()].filter((e) => e.startsWith(endpoint));
  if (matches.length === 1) return core.agents.get(matches[0]!)!;
  throw new NotFoundError("agent", endpoint);
}

const persist = (a: AgentRec): Write => ({ table: "agents", key: a.endpoint, value: agentHard(a) });

/** offline: takes no new containers; draining: also moves its containers away; active: back in service. */
export function setAgentAdmin(core: CoreState, endpoint: string, admin: AdminState): Write[] {
  const a = mustAgent(core, endpoint);
  a.admin = admin;
  core.noteMayMove(a.endpoint); // draining: its containers move; else the marks of a drain that stopped are cleared
  core.noteScheduleNeeded();
  return [persist(a)];
}

/** Forgets an agent. One that is alive must be empty (drain it first); a dead one's containers go back to pending. */
export function removeAgent(core: CoreState, endpoint: string): Write[] {
  const a = mustAgent(core, endpoint);
  if (a.dead) dropLeavingOn(core, a.endpoint);
  const containers = core.placement.ofAgent(a.endpoint);
  if (!a.dead && containers.length > 0) {
    throw new ConflictError(`agent ${a.endpoint} still runs ${containers.length} containers; drain it first (galaxy agent drain ${a.endpoint})`);
  }
  for (const c of containers) core.evict(c, `agent ${a.endpoint} removed`);
  core.agents.delete(a.endpoint);
  core.noteCapsChanged(a.endpoint); // its parked watch (if any) ends now, with not found
  core.agentSet++;
  core.placement.dropAgent(a.endpoint);
  return [{ table: "agents", key: a.endpoint, value: null }];
}

export function setAgentPool(core: CoreState, endpoint: string, pool: string): Write[] {
  const a = mustAgent(core, endpoint);
  if (!core.pools.has(pool)) throw new NotFoundError("pool", pool);
  a.pool = pool;
  core.noteMayMove(a.endpoint);
  core.noteScheduleNeeded();
  return [persist(a)];
}

export const LABEL = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

/** Adds or removes a label on agents; containers that required a removed label move away. */
export function labelAgents(core: CoreState, label: string, endpoints: string[], remove: boolean): Write[] {
  if (!LABEL.test(label)) throw new InvalidError(`label ${JSON.stringify(label)} is not valid; use [a-z0-9][a-z0-9_.-]*`);
  if (endpoints.length === 0) throw new InvalidError("name at least one agent");
  const agents = endpoints.map((e) => mustAgent(core, e));
  const writes: Write[] = [];
  for (const a of agents) {
    const has = a.labels.includes(label);
    if (has === !remove) continue;
    a.labels = remove ? a.labels.filter((l) => l !== label) : [...a.labels, label].sort();
    if (remove) core.noteMayMove(a.endpoint);
    writes.push(persist(a));
  }
  core.noteScheduleNeeded();
  return writes;
}

export function listLabels(core: CoreState): { label: string; endpoints: string[] }[] {
  const by = new Map<string, string[]>();
  for (const a of core.agents.values()) for (const l of a.labels) by.set(l, [...(by.get(l) ?? []), a.endpoint]);
  return [...by].sort((x, y) => x[0].localeCompare(y[0])).map(([label, endpoints]) => ({ label, endpoints: endpoints.sort() }));
}

/** Memory pressure: evict the newest best-effort container (one per heartbeat); no deep placement meanwhile. */
export function maybeRelievePressure(core: CoreState, a: AgentRec, pressure: boolean): boolean {
  if (a.pressure !== pressure) core.noteScheduleNeeded();
  a.pressure = pressure;
  if (!pressure) return false;
  const be = core.placement.ofAgent(a.endpoint).filter((c) => core.groups.get(c.group)?.spec.jobType === "best-effort");
  if (be.length === 0) return false;
  const newest = be.reduce((x, y) => (y.grantedAt > x.grantedAt || (y.grantedAt === x.grantedAt && y.id > x.id) ? y : x));
  core.evict(newest, `evicted: memory pressure on ${a.endpoint}`);
  return true;
}
