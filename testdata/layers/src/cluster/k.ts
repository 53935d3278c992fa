import type { JobType } from "../rpc/types.ts";
export const k: JobType[] = [];
