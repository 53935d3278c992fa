export { place } from "./place.ts";
export { checkFeasible, checkStatic, formatReasons, FEASIBILITY_CHECKS, STATIC_CHECKS } from "./checks.ts";
export { prepare, isBatchType } from "./demand.ts";
export { WorkingAgent } from "./working-agent.ts";
export { planVictims, preemptReason, applyPlan } from "./preempt.ts";
export { AntiAffinityIndex, type AntiAffinityRule, type RuleOwner } from "./anti-affinity.ts";
export { computeMoves, type MoveCandidate, type MoveGroup } from "./reconcile.ts";
export type {
  SchedAgent, SchedAntiAffinity, SchedGroup, SchedContainer, SchedDevice, Placement, GroupOutcome, Eviction, ScheduleResult, ScheduleOptions, VolumeBinding,
} from "./types.ts";
