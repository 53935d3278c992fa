// Admin RPCs of ResMan: users, grants, quotas, pools. Each checks the caller, decides, persists, answers.
import { randomBytes } from "node:crypto";
import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError } from "../core/errors.ts";
import type { CallContext, RpcServer } from "../rpc/index.ts";
import { requireAdmin } from "./authz.ts";
import { emptyQuota, usageOf } from "./quotas.ts";
import type { ResManShell } from "./server.ts";
import type { QuotaRec, Write } from "./state.ts";

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

/** Users may read their own grants and quota; anyone else's needs admin. */
function requireSelfOrAdmin(ctx: CallContext, user: string): void {
  if (ctx.principal.kind === "user" && ctx.principal.user === user) return;
  requireAdmin(ctx);
}

/**
 * Jobs belong to a user by name: a new user may not take the name of a removed one while that one's jobs remain, or
 * it would own them (change, remove, count them in its quota). Remove them first.
 */
function refuseNamesake(s: ResManShell, name: string): void {
  if (s.users.users.has(name)) return; // AlreadyExists says it better
  const left = [...s.mustCore().groups.values()].filter((g) => g.spec.user === name).map((g) => g.spec.id).sort();
  if (left.length === 0) return;
  const shown = left.slice(0, 3).join(", ") + (left.length > 3 ? ` and ${left.length - 3} more` : "");
  throw new ConflictError(`jobs of a removed user ${name} remain (${shown}); remove them before adding ${name} again`);
}

function registerUserHandlers(server: RpcServer, s: ResManShell): void {
  server.register("ResMan/AddUser", async (req, ctx) => {
    requireAdmin(ctx);
    refuseNamesake(s, req.name);
    const token = newToken();
    await s.persist(s.users.addUser(req.name, req.admin, token, randomBytes(16).toString("hex"), Date.now()));
    return { user: s.users.publicUser(s.users.users.get(req.name)!), token };
  });
  server.register("ResMan/RemoveUser", async (req, ctx) => {
    requireAdmin(ctx);
    if (req.name === "admin") throw new ConflictError("user admin cannot be removed");
    const writes = s.users.removeUser(req.name);
    const quota = s.mustCore().quotas.has(req.name);
    if (quota) writes.push({ table: "quotas", key: req.name, value: null });
    await s.persist(writes);
    if (quota) s.mustCore().quotas.delete(req.name);
    return {};
  });
  server.register("ResMan/ListUsers", (_req, ctx) => {
    requireAdmin(ctx);
    const users = [...s.users.users.values()].sort((a, b) => a.name.localeCompare(b.name)).map((u) => s.users.publicUser(u));
    return { users, grants: s.users.listGrants() };
  });
  server.register("ResMan/SetGrant", async (req, ctx) => {
    requireAdmin(ctx);
    if (!s.mustCore().pools.has(req.grant.pool)) throw new NotFoundError("pool", req.grant.pool);
    await s.persist(s.users.setGrant(req.grant.user, req.grant.pool, req.grant.allow, req.revoke));
    return { grants: s.users.listGrants(req.grant.user) };
  });
  server.register("ResMan/ListGrants", (req, ctx) => {
    if (req.user) requireSelfOrAdmin(ctx, req.user);
    else requireAdmin(ctx);
    return { grants: s.users.listGrants(req.user || undefined) };
  });
}

function registerQuotaHandlers(server: RpcServer, s: ResManShell): void {
  const reply = (user: string) => {
    const core = s.mustCore();
    return { quota: core.quotas.get(user) ?? emptyQuota(user), used: usageOf(user, [...core.groups.values()].map((g) => g.spec)) };
  };
  server.register("ResMan/SetQuota", async (req, ctx) => {
    requireAdmin(ctx);
    const core = s.mustCore();
    const q: QuotaRec = { ...emptyQuota(req.quota.user), ...req.quota };
    if (!s.users.users.has(q.user)) throw new NotFoundError("user", q.user);
    for (const [k, v] of Object.entries(q)) if (k !== "user" && (!Number.isSafeInteger(v) || (v as number) < 0)) throw new InvalidError(`quota ${k} must be a whole number ≥ 0`);
    const unlimited = q.millicores === 0 && q.memory === 0 && q.disk === 0 && q.ssd === 0 && q.replica === 0;
    await s.persist([{ table: "quotas", key: q.user, value: unlimited ? null : q }]); // committed first, then applied
    if (unlimited) core.quotas.delete(q.user);
    else core.quotas.set(q.user, q);
    return reply(q.user);
  });
  server.register("ResMan/GetQuota", (req, ctx) => {
    requireSelfOrAdmin(ctx, req.quota.user);
    if (!s.users.users.has(req.quota.user)) throw new NotFoundError("user", req.quota.user);
    return reply(req.quota.user);
  });
}

function registerPoolHandlers(server: RpcServer, s: ResManShell): void {
  server.register("ResMan/AddPool", async (req, ctx) => {
    requireAdmin(ctx);
    const core = s.mustCore();
    if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(req.name)) throw new InvalidError(`pool name ${JSON.stringify(req.name)} is not valid; use [a-z0-9][a-z0-9_-]{0,31}`);
    if (core.pools.has(req.name)) throw new AlreadyExistsError("pool", req.name);
    const now = Date.now();
    await s.persist([{ table: "pools", key: req.name, value: { name: req.name, createdAt: now } }]);
    core.pools.add(req.name);
    return { name: req.name, createdAt: now };
  });
  server.register("ResMan/RemovePool", async (req, ctx) => {
    requireAdmin(ctx);
    const core = s.mustCore();
    if (!core.pools.has(req.name)) throw new NotFoundError("pool", req.name);
    const members = [...core.agents.values()].filter((a) => a.pool === req.name).length;
    if (members > 0) throw new ConflictError(`pool ${req.name} still has ${members} agents; move them first (galaxy agent pool ENDPOINT POOL)`);
    const writes: Write[] = [{ table: "pools", key: req.name, value: null }];
    await s.persist(writes);
    core.pools.delete(req.name);
    return {};
  });
  server.register("ResMan/ListPools", () => {
    const t = s.store.table<{ name: string; createdAt: number }>("pools");
    return { pools: [...s.mustCore().pools].sort().map((name) => ({ name, createdAt: t.get(name)?.createdAt ?? 0 })) };
  });
}

export function registerAdminHandlers(server: RpcServer, s: ResManShell): void {
  registerUserHandlers(server, s);
  registerQuotaHandlers(server, s);
  registerPoolHandlers(server, s);
}
