// ResMan's cluster RPCs for people: status, agents (offline, online, drain, remove, pool), labels, groups and their
// containers, safe mode, forced preemption and `galaxy plan`. Each checks the caller (authz.ts), decides through the
// core, persists, answers.
import { AmbiguousError, InvalidError, NotFoundError } from "../core/errors.ts";
import type { CallContext, RpcServer } from "../rpc/index.ts";
import { labelAgents, listLabels, mustAgent, removeAgent, setAgentAdmin, setAgentPool } from "./core-admin.ts";
import { forcePreempt, planGroup } from "./core-schedule.ts";
import { applyRebalance, planRebalance } from "./rebalance.ts";

/** The longest search `galaxy rebalance --time` may ask (it runs in slices beside heartbeats and calls). */
export const MAX_REBALANCE_MS = 60_000;
import type { ResManCore } from "./core.ts";
import { allowed, requireAdmin, requireGrant } from "./authz.ts";
import type { ResManShell } from "./server.ts";
import type { AgentRec, GroupRec } from "./state.ts";
import { agentStatus, clusterStatus, containerInfo, groupStatus } from "./views.ts";

/** A group by id or unique id prefix among those `visible` admits (an ambiguity names only those); never "". */
export function resolveGroup(core: ResManCore, id: string, visible: (g: GroupRec) => boolean = () => true): GroupRec {
  if (id.trim() === "") throw new InvalidError("a group id is required (an empty one would match every group)");
  const exact = core.groups.get(id);
  if (exact) return exact;
  const matches = [...core.groups.values()].filter((g) => g.spec.id.startsWith(id) && visible(g)).map((g) => g.spec.id).sort();
  if (matches.length === 1) return core.groups.get(matches[0]!)!;
  if (matches.length > 1) throw new AmbiguousError("group", id, matches);
  throw new NotFoundError("group", id);
}

/** An agent by endpoint or unique prefix; never "" (which would match the only agent). */
function agentRef(core: ResManCore, endpoint: string): AgentRec {
  if (endpoint.trim() === "") throw new InvalidError("an agent endpoint is required (an empty one would match every agent)");
  return mustAgent(core, endpoint);
}

function agentReply(core: ResManCore, a: AgentRec) {
  const containers = core.placement.ofAgent(a.endpoint).sort((x, y) => x.id.localeCompare(y.id)).map((c) => containerInfo(core, c));
  return { agent: agentStatus(core, a), containers };
}

function statusOf(s: ResManShell) {
  const core = s.mustCore();
  const leader = s.cluster.readLeader("resman");
  const am = s.cluster.readLeader("appmaster");
  const masters = [leader && { role: "resman", ...leader }, am && { role: "appmaster", ...am }].filter((m) => !!m);
  return {
    masters: masters.map((m) => ({ role: m.role, address: m.addr, epoch: m.epoch, pid: m.pid, since: m.since })),
    ...clusterStatus(core),
  };
}

/** Groups a user may see: their own, and those whose pools they may list. */
const visibleGroup = (s: ResManShell, ctx: CallContext, g: GroupRec) =>
  (ctx.principal.kind === "user" && g.spec.user === ctx.principal.user) || allowed(s.users, ctx, g.spec.pools, "list");

function registerAgentHandlers(server: RpcServer, s: ResManShell): void {
  /** Changing an agent needs admin on its pool. */
  const withAgent = (endpoint: string, ctx: CallContext): AgentRec => {
    const a = agentRef(s.mustCore(), endpoint);
    requireGrant(s.users, ctx, [a.pool], "admin");
    return a;
  };
  server.register("ResMan/ListAgents", (req, ctx) => {
    const core = s.mustCore();
    const list = [...core.agents.values()]
      .filter((a) => (!req.pool || a.pool === req.pool) && (!req.label || a.labels.includes(req.label)) && allowed(s.users, ctx, [a.pool], "list"))
      .sort((a, b) => a.endpoint.localeCompare(b.endpoint));
    return { agents: list.map((a) => agentStatus(core, a)) };
  });
  server.register("ResMan/ShowAgent", (req, ctx) => {
    const a = agentRef(s.mustCore(), req.endpoint);
    requireGrant(s.users, ctx, [a.pool], "list");
    return agentReply(s.mustCore(), a);
  });
  const admin = (method: "ResMan/OfflineAgent" | "ResMan/OnlineAgent" | "ResMan/DrainAgent", state: "offline" | "active" | "draining") =>
    server.register(method, async (req, ctx) => {
      const a = withAgent(req.endpoint, ctx);
      await s.commit(s.mustCore().admin((st) => setAgentAdmin(st, a.endpoint, state)));
      return agentReply(s.mustCore(), a);
    });
  admin("ResMan/OfflineAgent", "offline");
  admin("ResMan/OnlineAgent", "active");
  admin("ResMan/DrainAgent", "draining");
  server.register("ResMan/RemoveAgent", async (req, ctx) => {
    const a = withAgent(req.endpoint, ctx);
    await s.commit(s.mustCore().admin((st) => removeAgent(st, a.endpoint)));
    return {};
  });
  server.register("ResMan/SetAgentPool", async (req, ctx) => {
    const a = withAgent(req.endpoint, ctx);
    requireGrant(s.users, ctx, [req.pool], "admin");
    await s.commit(s.mustCore().admin((st) => setAgentPool(st, a.endpoint, req.pool)));
    return agentReply(s.mustCore(), a);
  });
  server.register("ResMan/Label", async (req, ctx) => {
    const core = s.mustCore();
    for (const e of req.endpoints) withAgent(e, ctx);
    await s.commit(core.admin((st) => labelAgents(st, req.label, req.endpoints, req.remove)));
    return { labels: listLabels(core) };
  });
  server.register("ResMan/ListLabels", () => ({ labels: listLabels(s.mustCore()) }));
}

function registerGroupHandlers(server: RpcServer, s: ResManShell): void {
  server.register("ResMan/ListGroups", (_req, ctx) => {
    const core = s.mustCore();
    const ids = [...core.groups.values()].filter((g) => visibleGroup(s, ctx, g)).map((g) => g.spec.id).sort();
    return { groups: ids.map((id) => groupStatus(core, id)) };
  });
  server.register("ResMan/ShowGroup", (req, ctx) => {
    const core = s.mustCore();
    const g = resolveGroup(core, req.id, (x) => visibleGroup(s, ctx, x));
    if (!visibleGroup(s, ctx, g)) requireGrant(s.users, ctx, g.spec.pools, "list");
    const containers = core.placement.ofGroup(g.spec.id).sort((a, b) => a.index - b.index).map((c) => containerInfo(core, c));
    return { group: groupStatus(core, g.spec.id), containers };
  });
  server.register("ResMan/Preempt", (req, ctx) => {
    requireAdmin(ctx);
    const core = s.mustCore();
    const g = resolveGroup(core, req.group);
    const endpoint = agentRef(core, req.endpoint).endpoint;
    const { result, ...out } = core.decide((st) => forcePreempt(st, g.spec.id, endpoint, Date.now()));
    s.send(out, Date.now());
    return result;
  });
  server.register("ResMan/Rebalance", async (req, ctx) => {
    requireAdmin(ctx);
    const core = s.mustCore();
    const budgetMs = Math.min(req.budgetMs || 2_000, MAX_REBALANCE_MS);
    const plan = await planRebalance(core, { budgetMs, maxMoves: req.maxMoves || 20, now: () => performance.now() }, () => new Promise((r) => setImmediate(r)));
    if (!req.apply) return { ...plan, marked: 0 };
    const { result: marked, ...out } = s.mustCore().decide((st) => applyRebalance(st, plan)); // the leader may have changed meanwhile: mustCore again
    s.send(out, Date.now());
    return { ...plan, marked };
  });
  server.register("ResMan/Plan", (req, ctx) => {
    requireGrant(s.users, ctx, req.group.pools, "submit");
    return planGroup(s.mustCore(), req.group);
  });
}

export function registerClusterHandlers(server: RpcServer, s: ResManShell): void {
  server.register("ResMan/Status", () => statusOf(s));
  server.register("ResMan/SafeMode", async (req, ctx) => {
    requireAdmin(ctx);
    await s.commit(s.mustCore().setSafeMode(req.enter));
    return statusOf(s);
  });
  registerAgentHandlers(server, s);
  registerGroupHandlers(server, s);
}
