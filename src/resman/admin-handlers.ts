// Admin RPCs of ResMan: users, grants, pools. Each checks the caller is an admin, decides, persists, answers.
import { randomBytes } from "node:crypto";
import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError } from "../core/errors.ts";
import type { RpcServer } from "../rpc/index.ts";
import { requireAdmin, type ResManShell } from "./server.ts";
import type { Write } from "./state.ts";

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

export function registerAdminHandlers(server: RpcServer, s: ResManShell): void {
  server.register("ResMan/AddUser", async (req, ctx) => {
    requireAdmin(ctx);
    const token = newToken();
    await s.persist(s.users.addUser(req.name, req.admin, token, randomBytes(16).toString("hex"), Date.now()));
    return { user: s.users.publicUser(s.users.users.get(req.name)!), token };
  });
  server.register("ResMan/RemoveUser", async (req, ctx) => {
    requireAdmin(ctx);
    if (req.name === "admin") throw new ConflictError("user admin cannot be removed");
    await s.persist(s.users.removeUser(req.name));
    return {};
  });
  server.register("ResMan/ListUsers", (_req, ctx) => {
    requireAdmin(ctx);
    return { users: [...s.users.users.values()].sort((a, b) => a.name.localeCompare(b.name)).map((u) => s.users.publicUser(u)) };
  });
  server.register("ResMan/SetGrant", async (req, ctx) => {
    requireAdmin(ctx);
    if (!s.mustCore().pools.has(req.grant.pool)) throw new NotFoundError("pool", req.grant.pool);
    await s.persist(s.users.setGrant(req.grant.user, req.grant.pool, req.grant.allow, req.revoke));
    return { grants: s.users.listGrants(req.grant.user) };
  });
  server.register("ResMan/ListGrants", (req, ctx) => {
    if (ctx.principal.kind === "user" && ctx.principal.user !== req.user) requireAdmin(ctx);
    return { grants: s.users.listGrants(req.user || undefined) };
  });
  server.register("ResMan/AddPool", async (req, ctx) => {
    requireAdmin(ctx);
    const core = s.mustCore();
    if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(req.name)) throw new InvalidError(`pool name ${JSON.stringify(req.name)} is not valid`);
    if (core.pools.has(req.name)) throw new AlreadyExistsError("pool", req.name);
    const now = Date.now();
    core.pools.add(req.name);
    await s.persist([{ table: "pools", key: req.name, value: { name: req.name, createdAt: now } }]);
    return { name: req.name, createdAt: now };
  });
  server.register("ResMan/RemovePool", async (req, ctx) => {
    requireAdmin(ctx);
    const core = s.mustCore();
    if (!core.pools.has(req.name)) throw new NotFoundError("pool", req.name);
    const members = [...core.agents.values()].filter((a) => a.pool === req.name).length;
    if (members > 0) throw new ConflictError(`pool ${req.name} still has ${members} agents; move them first`);
    core.pools.delete(req.name);
    const writes: Write[] = [{ table: "pools", key: req.name, value: null }];
    await s.persist(writes);
    return {};
  });
  server.register("ResMan/ListPools", () => {
    const t = s.store.table<{ name: string; createdAt: number }>("pools");
    return { pools: [...s.mustCore().pools].sort().map((name) => ({ name, createdAt: t.get(name)?.createdAt ?? 0 })) };
  });
}
