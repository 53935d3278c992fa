// Moving containers off agents they should no longer be on (the agent drains, lost a label the group requires, or
// moved to a pool the group does not use). Pure: desired vs actual in named buckets; ResMan applies `move`.
//
//   misplaced containers ──► offline (batch, best-effort): move all at once, they are restartable
//                        ──► online (service, monitor): only once no offline container waits on the same agent
//                            (batch first), and per group never more than `step` containers missing at once:
//                            budget = step − (replica − running); a moved one is missing until it runs elsewhere
import { cmp } from "./demand.ts";

export interface MoveCandidate {
  id: string;
  group: string;
  agent: string;
  /** service or monitor */
  online: boolean;
}

export interface MoveGroup {
  /** The group's deploy step (at least 1 is used). */
  step: number;
  /** Containers of the group not running now (pending, starting, lost, moving). */
  missing: number;
}

export interface Moves {
  /** Take these off their agents now (back to pending; the scheduler places them elsewhere). */
  move: string[];
  /** These wait: batch first on their agent, or their group has `step` containers missing already. */
  wait: string[];
}

export function computeMoves(candidates: readonly MoveCandidate[], groups: ReadonlyMap<string, MoveGroup>): Moves {
  const sorted = [...candidates].sort((x, y) => cmp(x.agent, y.agent) || Number(x.online) - Number(y.online) || cmp(x.group, y.group) || cmp(x.id, y.id));
  const offlineOn = new Set(sorted.filter((c) => !c.online).map((c) => c.agent));
  const budget = new Map<string, number>();
  const move: string[] = [];
  const wait: string[] = [];
  for (const c of sorted) {
    if (!c.online) {
      move.push(c.id);
      continue;
    }
    if (offlineOn.has(c.agent)) {
      wait.push(c.id);
      continue;
    }
    const g = groups.get(c.group) ?? { step: 1, missing: 0 };
    const left = budget.get(c.group) ?? Math.max(1, g.step) - g.missing;
    if (left > 0) move.push(c.id);
    else wait.push(c.id);
    budget.set(c.group, left - 1);
  }
  return { move, wait };
}
