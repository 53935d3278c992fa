// Memory pressure, pure: when the memory in use nears what the host has, evict best-effort containers (most memory
// first), then batch ones, until use is back under the low mark. Online containers (service, monitor) are never
// evicted: a host short of memory for them is ResMan's placement problem, not a reason to kill a service.

export interface MemoryHost {
  /** bytes this agent offers (its --memory) */
  offered: number;
  /** bytes of the machine, and bytes the kernel says are available */
  total: number;
  available: number;
}

export interface MemoryUser {
  id: string;
  jobType: string;
  /** bytes it holds that cannot be reclaimed (rss; tmpfs pages count too) */
  used: number;
}

export interface PressureParams {
  /** pressure above this fraction of the offered memory, or of the machine's */
  high: number;
  /** evict until below this fraction */
  low: number;
}

export const DEFAULT_PRESSURE: PressureParams = { high: 0.9, low: 0.8 };

const EVICTION_ORDER: Record<string, number> = { "best-effort": 0, batch: 1 };

export interface PressureVerdict {
  pressure: boolean;
  victims: string[];
  /** one line for the log and the victims' reports */
  reason: string;
}

/** How far over the low mark the host is, in bytes (<= 0: fine), by the containers' use and by the machine's. */
function excessBytes(h: MemoryHost, containersUsed: number, frac: number): number {
  const byAgent = containersUsed - frac * h.offered;
  const byHost = h.total - h.available - frac * h.total;
  return Math.max(byAgent, byHost);
}

export function choosePressureVictims(h: MemoryHost, users: readonly MemoryUser[], p: PressureParams = DEFAULT_PRESSURE): PressureVerdict {
  const used = users.reduce((s, u) => s + u.used, 0);
  const pressure = excessBytes(h, used, p.high) > 0;
  if (!pressure) return { pressure, victims: [], reason: "" };
  let need = excessBytes(h, used, p.low);
  const candidates = users
    .filter((u) => u.jobType in EVICTION_ORDER)
    .sort((a, b) => EVICTION_ORDER[a.jobType]! - EVICTION_ORDER[b.jobType]! || b.used - a.used || a.id.localeCompare(b.id));
  const victims: string[] = [];
  for (const u of candidates) {
    if (need <= 0) break;
    victims.push(u.id);
    need -= u.used;
  }
  const pct = (x: number, of: number) => `${Math.round((100 * x) / Math.max(1, of))}%`;
  const reason = `memory pressure: containers use ${pct(used, h.offered)} of the agent's memory, the host ${pct(h.total - h.available, h.total)} of its own`;
  return { pressure, victims, reason };
}
