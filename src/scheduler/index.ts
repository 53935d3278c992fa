export { place } from "./place.ts";
export { checkFeasible, formatReasons, FEASIBILITY_CHECKS } from "./checks.ts";
export type { SchedAgent, SchedGroup, Placement, GroupOutcome, ScheduleResult, ScheduleOptions } from "./types.ts";
