// Who may call what on ResMan. Internal callers (the cluster secret: AppMaster, agents) may do anything; admins may
// do anything; other users need a grant on the pool concerned: `list` to see, `admin` to change its agents,
// `submit` to plan a job there. Requests for groups are checked against the group's user in ResManCore.admit.
import { PermissionDeniedError, UnauthenticatedError } from "../core/errors.ts";
import type { CallContext } from "../rpc/index.ts";
import type { Action, UserDirectory } from "./users.ts";

export function requireAdmin(ctx: CallContext): void {
  if (ctx.principal.kind === "internal") return;
  if (ctx.principal.kind !== "user") throw new UnauthenticatedError();
  if (!ctx.principal.admin) throw new PermissionDeniedError(`user ${ctx.principal.user} is not an admin`);
}

/** True when the caller may do `action` in every one of `pools`. */
export function allowed(users: UserDirectory, ctx: CallContext, pools: readonly string[], action: Action): boolean {
  const p = ctx.principal;
  if (p.kind === "internal" || p.admin) return true;
  if (p.kind !== "user") return false;
  return pools.every((pool) => users.can(p.user ?? "", pool, action));
}

export function requireGrant(users: UserDirectory, ctx: CallContext, pools: readonly string[], action: Action): void {
  if (ctx.principal.kind !== "internal" && ctx.principal.kind !== "user") throw new UnauthenticatedError();
  if (allowed(users, ctx, pools, action)) return;
  const missing = pools.filter((pool) => !users.can(ctx.principal.user ?? "", pool, action));
  throw new PermissionDeniedError(`user ${ctx.principal.user} may not ${action} in pool ${missing.join(", ")}`);
}
