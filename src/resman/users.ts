// Users, tokens and grants: hard state, pure decisions. Tokens are stored only as salted SHA-256 hashes; the token
// itself is shown once, when the user is created.
import { createHash, timingSafeEqual } from "node:crypto";
import { AlreadyExistsError, InvalidError, NotFoundError } from "../core/errors.ts";
import type { Grant, User } from "../rpc/types.ts";
import type { Write } from "./state.ts";

export interface UserHard {
  name: string;
  admin: boolean;
  salt: string;
  tokenHash: string;
  createdAt: number;
}

export const ACTIONS = ["submit", "update", "remove", "list", "admin"] as const;
export type Action = (typeof ACTIONS)[number];

export function hashToken(token: string, salt: string): string {
  return createHash("sha256").update(salt).update("\0").update(token).digest("hex");
}

export class UserDirectory {
  readonly users = new Map<string, UserHard>();
  /** user -> pool -> allowed actions */
  readonly grants = new Map<string, Map<string, Set<Action>>>();

  constructor(users: UserHard[], grants: Grant[]) {
    this.load(users, grants);
  }

  /** Replaces everything with the committed rows (after a commit failed, memory goes back to what the disk holds). */
  load(users: UserHard[], grants: Grant[]): void {
    this.users.clear();
    this.grants.clear();
    for (const u of users) this.users.set(u.name, u);
    for (const g of grants) this.grantsOf(g.user).set(g.pool, new Set(g.allow as Action[]));
  }

  /** `token` and `salt` come from the shell (randomness is I/O). */
  addUser(name: string, admin: boolean, token: string, salt: string, now: number): Write[] {
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(name)) throw new InvalidError(`user name ${JSON.stringify(name)} is not valid; use [a-z][a-z0-9_-]{0,31}`);
    if (this.users.has(name)) throw new AlreadyExistsError("user", name);
    const u: UserHard = { name, admin, salt, tokenHash: hashToken(token, salt), createdAt: now };
    this.users.set(name, u);
    return [{ table: "users", key: name, value: u }];
  }

  removeUser(name: string): Write[] {
    if (!this.users.delete(name)) throw new NotFoundError("user", name);
    const writes: Write[] = [{ table: "users", key: name, value: null }];
    for (const pool of this.grants.get(name)?.keys() ?? []) writes.push({ table: "grants", key: `${name}/${pool}`, value: null });
    this.grants.delete(name);
    return writes;
  }

  authenticate(name: string, token: string): UserHard | null {
    const u = this.users.get(name);
    if (!u) return null;
    const want = Buffer.from(u.tokenHash, "hex");
    const got = Buffer.from(hashToken(token, u.salt), "hex");
    return want.length === got.length && timingSafeEqual(want, got) ? u : null;
  }

  setGrant(user: string, pool: string, allow: string[], revoke: boolean): Write[] {
    if (!this.users.has(user)) throw new NotFoundError("user", user);
    for (const a of allow) if (!(ACTIONS as readonly string[]).includes(a)) throw new InvalidError(`unknown permission ${JSON.stringify(a)}; use ${ACTIONS.join(", ")}`);
    const set = this.grantsOf(user).get(pool) ?? new Set<Action>();
    for (const a of allow as Action[]) revoke ? set.delete(a) : set.add(a);
    const key = `${user}/${pool}`;
    if (set.size === 0) {
      this.grantsOf(user).delete(pool);
      return [{ table: "grants", key, value: null }];
    }
    this.grantsOf(user).set(pool, set);
    return [{ table: "grants", key, value: { user, pool, allow: [...set].sort() } }];
  }

  listGrants(user?: string): Grant[] {
    const out: Grant[] = [];
    for (const [u, pools] of this.grants) {
      if (user && u !== user) continue;
      for (const [pool, set] of pools) out.push({ user: u, pool, allow: [...set].sort() });
    }
    return out.sort((a, b) => (a.user + a.pool).localeCompare(b.user + b.pool));
  }

  can(user: string, pool: string, action: Action): boolean {
    const u = this.users.get(user);
    if (!u) return false;
    if (u.admin) return true;
    const set = this.grants.get(user)?.get(pool);
    return !!set && (set.has(action) || set.has("admin"));
  }

  publicUser(u: UserHard): User {
    return { name: u.name, admin: u.admin, createdAt: u.createdAt };
  }

  private grantsOf(user: string): Map<string, Set<Action>> {
    let m = this.grants.get(user);
    if (!m) this.grants.set(user, (m = new Map()));
    return m;
  }
}
