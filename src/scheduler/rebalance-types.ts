// The rebalancer's problem, options and result (rebalance.ts runs the search, rebalance-state.ts holds its state).
export interface RebalanceAgent {
  id: string;
  cpu: number;
  memory: number;
  /** Other capacities (disk, ...), in the kinds' `scalars` order. */
  scalars: readonly number[];
  /** The load target (0..1). */
  target: number;
  /** False: nothing may move onto it (draining, offline, another pool). */
  open: boolean;
}

export interface RebalanceKind {
  id: string;
  cpu: Float64Array;
  memory: Float64Array;
  scalars: readonly number[];
  /** At most this many of the kind on one agent (0: no limit). */
  maxPerHost: number;
  /** Where this kind runs, at most `k` of `kind` (indexes into kinds). */
  anti: readonly { kind: number; k: number }[];
  /** The agents it may run on (1 at an agent's index: its pools, labels, blacklist); absent: every open agent. */
  only?: Uint8Array;
}

export interface RebalanceItem {
  id: string;
  kind: number;
  /** Index into agents; -1: not placed (never moved). */
  agent: number;
  /** False: must stay (not movable: batch in flight, a pinned volume, ...). */
  movable: boolean;
}

export interface RebalanceProblem {
  agents: readonly RebalanceAgent[];
  kinds: readonly RebalanceKind[];
  items: readonly RebalanceItem[];
  /** The cost's weight above the target (LOAD_WEIGHT). */
  weight: number;
}

export interface RebalanceMove {
  item: number;
  from: number;
  to: number;
}

export interface RebalanceResult {
  moves: RebalanceMove[];
  /** Each item's agent at the end. */
  agentOf: Int32Array;
  costBefore: number;
  costAfter: number;
  agentsBefore: number;
  agentsAfter: number;
  tries: number;
  /** Moves kept by kind of step (swaps count once; an open or close once however many containers it moved). */
  kept: RebalanceStats;
}

export interface RebalanceOptions {
  /** The clock and when to stop (ms). */
  now: () => number;
  until: number;
  seed?: number;
  /** Stop after this many moves (a cluster applies them a step at a time). */
  maxMoves?: number;
  /** Agents sampled per target search when targets are not ranked, swaps tried per relieve / 2 (64). */
  sample?: number;
  /** Hottest agents an opening agent takes containers from (64). */
  hot?: number;
  /** Simulated annealing's starting temperature, falling to 0 at `cooling` of the time (0.1; 0: only improving moves). */
  temperature?: number;
  /** The share of the time annealed; the rest takes only improving moves (0.85). */
  cooling?: number;
  /**
   * Relieve targets: the best few of the `cool` agents the index ranks coolest (rebalance-rank.ts, refreshed each
   * round), checked exactly (100; 0: `sample` agents drawn at random).
   */
  cool?: number;
}

/** Moves kept by kind of step, and opens and closes tried. */
export interface RebalanceStats {
  relieve: number;
  swap: number;
  close: number;
  open: number;
  openTried: number;
  closeTried: number;
}
