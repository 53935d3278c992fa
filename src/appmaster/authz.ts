// Who may do what to a job, from the caller's principal as authenticated for this very call (grants come with it from
// ResMan, never from a cache). Internal callers and admins may do anything; a user needs the action granted (or
// `admin`) on every pool the job uses, and only the job's owner may change it. What a caller may not list, it does
// not see: not in listings, not in an ambiguous-prefix error.
import { PermissionDeniedError, UnauthenticatedError } from "../core/errors.ts";
import type { Principal } from "../rpc/index.ts";

export const seesAll = (p: Principal): boolean => p.kind === "internal" || p.admin === true;

/** True when the user has `action` (or `admin`) in every one of `pools`. */
export function granted(p: Principal, pools: readonly string[], action: string): boolean {
  if (seesAll(p)) return true;
  if (p.kind !== "user") return false;
  return pools.every((pool) => {
    const allow = p.grants?.[pool] ?? [];
    return allow.includes(action) || allow.includes("admin");
  });
}

/** Throws unless the caller may do `action` in every pool; with `owner`, changing needs to be the owner too. */
export function authorize(p: Principal, pools: readonly string[], action: string, owner?: string): void {
  if (seesAll(p)) return;
  if (p.kind !== "user") throw new UnauthenticatedError();
  const missing = pools.filter((pool) => !granted(p, [pool], action));
  if (missing.length > 0) throw new PermissionDeniedError(`user ${p.user} may not ${action} in pool ${missing.join(", ")}`);
  if (owner !== undefined && owner !== p.user && action !== "list") {
    throw new PermissionDeniedError(`job belongs to ${owner}; user ${p.user} may not ${action} it`);
  }
}

/** A job the caller may see: its own, or one whose pools it may list. */
export function mayList(p: Principal, job: { user: string; spec: { deploy: { pools: readonly string[] } } }): boolean {
  return seesAll(p) || (p.kind === "user" && job.user === p.user) || granted(p, job.spec.deploy.pools, "list");
}

/** Before parsing a job description: a user who may submit nowhere is refused without reading it. */
export function maySubmitSomewhere(p: Principal): void {
  if (seesAll(p)) return;
  if (p.kind !== "user") throw new UnauthenticatedError();
  const pools = Object.entries(p.grants ?? {}).filter(([, allow]) => allow.includes("submit") || allow.includes("admin"));
  if (pools.length === 0) throw new PermissionDeniedError(`user ${p.user} may not submit in any pool`);
}
