// The plan AppMaster hands a worker (FetchTaskReply.pod_json): everything the worker needs to run its pod.
import type { JobSpec, JobType, TaskSpec } from "./jobspec.ts";

export interface PodPlan {
  jobId: string;
  jobType: JobType;
  version: number;
  tasks: TaskSpec[];
  restart: { attempts: number; delay: number; maxDelay: number };
  stopTimeout: number;
}

export function podPlanOf(jobId: string, version: number, spec: JobSpec): PodPlan {
  return {
    jobId, jobType: spec.type, version, tasks: spec.pod.tasks, restart: spec.deploy.restart, stopTimeout: spec.deploy.stopTimeout,
  };
}
