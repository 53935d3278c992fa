// Admission at ResMan: a new job, or a change to a job's group (update, scale), is persisted first, then sent to
// ResMan. If ResMan refuses it (quota, permission, a bad or unknown pool) the change is undone and the refusal goes
// back to the client; if ResMan cannot be reached the change is kept (the sync loop sends it later) with a warning.
import { isGalaxyError } from "../core/errors.ts";
import type { AppMasterCore, Out } from "./core.ts";
import type { JobRecord } from "./jobs.ts";

/** ResMan's answers that mean "no", as opposed to "not now". */
const REFUSALS = new Set(["QUOTA_EXCEEDED", "PERMISSION_DENIED", "INVALID", "NOT_FOUND", "ALREADY_EXISTS", "CONFLICT"]);

export const isRefusal = (e: unknown): boolean => isGalaxyError(e) && REFUSALS.has(e.code);

export interface GroupGate {
  persist(out: Out): Promise<void>;
  /** Sends the job's group request; throws ResMan's error. */
  sendGroup(job: JobRecord, create: boolean): Promise<void>;
}

const unreachable = (e: unknown, what: string) =>
  `ResMan could not be reached (${(e as Error).message}); ${what} is kept and will be sent to ResMan when it is back`;

/** Submit: persist the pending job, then CreateGroup. Returns warnings; throws ResMan's refusal. */
export async function admitNewJob(core: AppMasterCore, gate: GroupGate, job: JobRecord, out: Out): Promise<string[]> {
  await gate.persist(out);
  try {
    await gate.sendGroup(job, true);
    return [];
  } catch (e) {
    if (!isRefusal(e)) return [unreachable(e, "the job")];
    await gate.persist(core.forget(job.id));
    throw e;
  }
}

/** Update or scale that changes the group: persist, send; a refusal puts the old record back. */
export async function admitGroupChange(core: AppMasterCore, gate: GroupGate, before: JobRecord, job: JobRecord, out: Out): Promise<string[]> {
  await gate.persist(out);
  try {
    await gate.sendGroup(job, false);
    return [];
  } catch (e) {
    if (!isRefusal(e)) return [unreachable(e, "the change")];
    await gate.persist(core.restore(before));
    throw e;
  }
}
