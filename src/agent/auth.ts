// Users on the agent's RPC server (`galaxy logs` calls it with the user's own credentials): ResMan knows users, so
// the agent asks its Authenticate RPC at every call (never a cached answer: a user removed, or a grant taken, applies
// to the next call, and a user added again under the same name never gets the old one's grants); who may read what
// is a pure check on the principal and the grants that came with it.
import { PermissionDeniedError, UnauthenticatedError } from "../core/errors.ts";
import type { Principal, RpcClient } from "../rpc/index.ts";

export class UserAuthenticator {
  constructor(private readonly resman: RpcClient) {}

  /** The principal for a user and token, with its grants as ResMan holds them now; null when ResMan says wrong. */
  async authenticate(user: string, token: string): Promise<Principal | null> {
    try {
      const r = await this.resman.call("ResMan/Authenticate", { user, token });
      return { kind: "user", user: r.user.name, admin: r.user.admin, grants: Object.fromEntries(r.grants.map((g) => [g.pool, g.allow])) };
    } catch (err) {
      if ((err as { code?: string }).code !== "UNAUTHENTICATED") throw err;
      return null;
    }
  }
}

/**
 * Reading a container's logs: internal callers and admins always; a user when the container is theirs, or when they
 * may list (or administer) the agent's pool.
 */
export function checkLogAccess(p: Principal, owner: string, pool: string): void {
  if (p.kind === "internal" || p.admin === true) return;
  if (p.kind !== "user") throw new UnauthenticatedError();
  if (owner !== "" && owner === p.user) return;
  const allow = p.grants?.[pool] ?? [];
  if (allow.includes("list") || allow.includes("admin")) return;
  throw new PermissionDeniedError(`user ${p.user} may not read the logs of a container of ${owner || "another user"} in pool ${pool}`);
}

/** checkLogAccess as a filter: false where it would refuse; still throws for a caller with no valid credentials. */
export function mayReadLogs(p: Principal, owner: string, pool: string): boolean {
  if (p.kind !== "internal" && p.kind !== "user") throw new UnauthenticatedError();
  try {
    checkLogAccess(p, owner, pool);
    return true;
  } catch {
    return false;
  }
}

/** Only internal callers and admins see the whole container list of an agent. */
export function checkAdmin(p: Principal): void {
  if (p.kind === "internal" || p.admin === true) return;
  if (p.kind !== "user") throw new UnauthenticatedError();
  throw new PermissionDeniedError(`user ${p.user} is not an admin`);
}
