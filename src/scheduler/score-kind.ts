// The scorer a group gets when it names none, and the load score's defaults. Chosen by measurement (BENCHMARKS.md,
// "Placement quality on the Tianchi trace").
import type { ScoreKind } from "./types.ts";

export const DEFAULT_SCORE: ScoreKind = "load";

/** An agent's cpu utilisation target when neither its pool nor the cluster sets one. */
export const DEFAULT_LOAD_TARGET = 0.5;

/** The load cost's weight above the target, against 1 for every agent in use (so filling an open agent is cheap). */
export const LOAD_WEIGHT = 10;
