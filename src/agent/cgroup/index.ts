// Container isolation drivers of the agent: cgroup v2, cgroup v1 and "none" behind one CgroupDriver interface.
// See README.md for the kill sequence and the detection order.

export {
  type CgroupDriver,
  type CgroupUsage,
  type IsolationKind,
  type Limits,
  CFS_PERIOD_US,
  DEFAULT_PIDS_MAX,
  ISOLATION_KINDS,
  KILL_DEADLINE_MS,
  cpuQuotaUs,
  cpuShares,
  cpuWeight,
  memoryLimits,
  validateLimits,
  validateName,
} from "./driver.ts";
export {
  type CgroupMount,
  type DriverOptions,
  type HostFacts,
  type IsolationChoice,
  chooseIsolation,
  createDriver,
  detectDriver,
  gatherFacts,
  parseIsolationKind,
  parseMountInfo,
} from "./detect.ts";
export { NoneDriver } from "./none.ts";
export { V1Driver } from "./v1.ts";
export { V2Driver } from "./v2.ts";
