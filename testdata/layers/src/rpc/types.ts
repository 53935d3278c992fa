export type JobType = string;
