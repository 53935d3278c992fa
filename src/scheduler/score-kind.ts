// The scorer a group gets when it names none, and the load score's defaults. Chosen by measurement (BENCHMARKS.md,
// "Placement quality on the Tianchi trace").
import type { ScoreKind } from "./types.ts";

export const DEFAULT_SCORE: ScoreKind = "load";

/** An agent's cpu utilisation target when neither its pool nor the cluster sets one. */
export const DEFAULT_LOAD_TARGET = 0.5;

/** The load cost's weight above the target, against 1 for every agent in use (so filling an open agent is cheap). */
export const LOAD_WEIGHT = 10;

/**
 * What an agent in use costs by itself, against LOAD_WEIGHT above the target. The contest charges 1, but a greedy
 * pass that pays the whole 1 at the first container opens too few agents and overloads them (Tianchi: 7,813 at 1,
 * 7,664 at 0.7); at 0.6 and below it opens nearly every agent and strands a few containers (BENCHMARKS.md).
 */
export const LOAD_OPEN_COST = 0.7;
