// What the helpers of ResManCore (core-admin.ts, core-moves.ts, core-schedule.ts, sched-view.ts) read and change:
// ResManCore implements it, and the helpers depend on this interface instead of the class (no import cycle).
import type { GroupMap } from "./group-map.ts";
import type { HintVersions } from "./hint-versions.ts";
import type { PlacementTable } from "./placement.ts";
import type { AgentRec, ContainerRec, GroupRec, ResManConfig } from "./state.ts";

export interface CoreState {
  readonly cfg: ResManConfig;
  readonly agents: Map<string, AgentRec>;
  readonly groups: GroupMap;
  readonly pools: Set<string>;
  readonly placement: PlacementTable;
  /** Per-group hint versions (a usage-only report bumps its group at a bounded rate). */
  readonly hintVersions: HintVersions;
  /** Agents whose containers may have to move (draining, labels or pool changed); checked every tick (applyMoves). */
  readonly mayMove: ReadonlySet<string>;
  /** Bumped whenever an agent is added or removed (the scheduler's agent views are rebuilt then). */
  agentSet: number;
  seed: number;
  /** Taking over: not every agent has reported yet (nothing an agent holds may be given up meanwhile). */
  readonly recovering: boolean;
  /** Placement may have changed (an agent, a group, an eviction): the next tick runs the scheduler. */
  noteScheduleNeeded(): void;
  /** The agent's containers may have to move: applyMoves looks at it every tick until nothing on it is misplaced. */
  noteMayMove(endpoint: string): void;
  /** An agent's parked watch must be looked at (its caps changed, or it was removed): into ResManCore's outbox. */
  noteCapsChanged(endpoint: string): void;
  /** A new cap set for the agent: its version moves on, and its parked watch is looked at. */
  bumpCaps(a: AgentRec): void;
  evict(c: ContainerRec, message: string, preemptedBy?: string): void;
  mustGroup(id: string): GroupRec;
}
