// Users on the agent's RPC server (`galaxy logs` calls it with the user's own credentials): ResMan knows users, so
// the agent asks its Authenticate RPC and caches each answer for a few seconds; who may read what is a pure check.
import { PermissionDeniedError, UnauthenticatedError } from "../core/errors.ts";
import type { Principal, RpcClient } from "../rpc/index.ts";

export const AUTH_CACHE_MS = 10_000;

interface Entry {
  at: number;
  principal: Principal | null;
  grants: Map<string, string[]>;
}

export class UserAuthenticator {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly resman: RpcClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** The principal for a user and token, or null when ResMan says they are wrong (cached ~10 s either way). */
  async authenticate(user: string, token: string): Promise<Principal | null> {
    return (await this.entry(user, token)).principal;
  }

  /** The grants (pool -> allowed actions) ResMan returned for a user at their last authentication. */
  grantsOf(user: string): Map<string, string[]> {
    for (const [k, v] of this.cache) if (k.startsWith(`${user}\0`) && v.principal) return v.grants;
    return new Map();
  }

  private async entry(user: string, token: string): Promise<Entry> {
    const key = `${user}\0${token}`;
    const hit = this.cache.get(key);
    if (hit && this.now() - hit.at < AUTH_CACHE_MS) return hit;
    let e: Entry;
    try {
      const r = await this.resman.call("ResMan/Authenticate", { user, token });
      e = { at: this.now(), principal: { kind: "user", user: r.user.name, admin: r.user.admin }, grants: new Map(r.grants.map((g) => [g.pool, g.allow])) };
    } catch (err) {
      if ((err as { code?: string }).code !== "UNAUTHENTICATED") throw err;
      e = { at: this.now(), principal: null, grants: new Map() };
    }
    for (const [k, v] of this.cache) if (this.now() - v.at >= AUTH_CACHE_MS) this.cache.delete(k);
    this.cache.set(key, e);
    return e;
  }
}

/**
 * Reading a container's logs: internal callers and admins always; a user when the container is theirs, or when they
 * may list (or administer) the agent's pool.
 */
export function checkLogAccess(p: Principal, owner: string, pool: string, grants: ReadonlyMap<string, string[]>): void {
  if (p.kind === "internal" || p.admin === true) return;
  if (p.kind !== "user") throw new UnauthenticatedError();
  if (owner !== "" && owner === p.user) return;
  const allow = grants.get(pool) ?? [];
  if (allow.includes("list") || allow.includes("admin")) return;
  throw new PermissionDeniedError(`user ${p.user} may not read the logs of a container of ${owner || "another user"} in pool ${pool}`);
}

/** checkLogAccess as a filter: false where it would refuse; still throws for a caller with no valid credentials. */
export function mayReadLogs(p: Principal, owner: string, pool: string, grants: ReadonlyMap<string, string[]>): boolean {
  if (p.kind !== "internal" && p.kind !== "user") throw new UnauthenticatedError();
  try {
    checkLogAccess(p, owner, pool, grants);
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
