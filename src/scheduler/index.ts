export { place } from "./place.ts";
export { checkFeasible, checkStatic, formatReasons, FEASIBILITY_CHECKS, STATIC_CHECKS } from "./checks.ts";
export { prepare, isBatchType } from "./demand.ts";
export { WorkingAgent } from "./working-agent.ts";
export { planVictims, preemptReason, applyPlan } from "./preempt.ts";
export { DEFAULT_LOAD_TARGET, DEFAULT_SCORE } from "./score-kind.ts";
export { SCORE_KINDS } from "./types.ts";
export { withProfile, type MutableProfile } from "./profile.ts";
export { rebalance, rebalanceSteps, type RebalanceKind, type RebalanceProblem, type RebalanceResult } from "./rebalance.ts";
export { AntiAffinityIndex, type AntiAffinityRule, type RuleOwner } from "./anti-affinity.ts";
export type {
  AgentProfile, DeviceShare, SchedAgent, SchedAntiAffinity, SchedGroup, SchedHome, SchedProfile, ScoreKind, SchedContainer, SchedDevice, Placement, GroupOutcome, Eviction, ScheduleResult, ScheduleOptions, VolumeBinding,
} from "./types.ts";
