// AppMaster's RPC handlers: jobs for clients (checked against the caller's grants), FetchTask for workers.
import { PermissionDeniedError, StaleEpochError, UnauthenticatedError } from "../core/errors.ts";
import { parseJobFile } from "../core/jobspec.ts";
import type { CallContext, RpcServer } from "../rpc/index.ts";
import type { JobRecord } from "./jobs.ts";
import { randomSuffix, type AppMasterShell } from "./server.ts";

function callerName(ctx: CallContext): string {
  if (ctx.principal.kind === "user") return ctx.principal.user ?? "";
  if (ctx.principal.kind === "internal") return "system";
  throw new UnauthenticatedError();
}

/** Admins and internal callers may do anything; a user needs the action granted on every pool the job uses. */
function authorize(s: AppMasterShell, ctx: CallContext, pools: string[], action: string, owner?: string): void {
  const p = ctx.principal;
  if (p.kind === "internal" || p.admin) return;
  if (p.kind !== "user") throw new UnauthenticatedError();
  const grants = s.grantsOf(p.user ?? "");
  const missing = pools.filter((pool) => {
    const allow = grants.get(pool) ?? [];
    return !allow.includes(action) && !allow.includes("admin");
  });
  if (missing.length > 0) throw new PermissionDeniedError(`user ${p.user} may not ${action} in pool ${missing.join(", ")}`);
  if (owner !== undefined && owner !== p.user && action !== "list") {
    throw new PermissionDeniedError(`job belongs to ${owner}; user ${p.user} may not ${action} it`);
  }
}

export function registerJobHandlers(server: RpcServer, s: AppMasterShell): void {
  server.register("AppMaster/SubmitJob", async (req, ctx) => {
    const core = s.mustCore();
    const spec = parseJobFile(req.spec.text, req.spec.filename || "job");
    authorize(s, ctx, spec.deploy.pools, "submit");
    if (req.dryRun) return { job: { name: spec.name, jobType: spec.type, replica: spec.deploy.replica }, warnings: [] };
    const { job, writes } = core.submit(spec, callerName(ctx), Date.now(), randomSuffix());
    await s.persist(writes);
    await s.requestGroup(job);
    return { job: core.jobView(job), warnings: [] };
  });
  server.register("AppMaster/ListJobs", (req, ctx) => {
    const core = s.mustCore();
    const p = ctx.principal;
    const mine = (j: JobRecord) => p.kind === "internal" || p.admin || j.user === p.user;
    const jobs = [...core.jobs.values()].filter((j) => (req.user ? j.user === req.user : req.all || mine(j)));
    return { jobs: jobs.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)).map((j) => core.jobView(j)) };
  });
  server.register("AppMaster/ShowJob", (req, ctx) => {
    const core = s.mustCore();
    const job = core.resolve(req.id);
    authorize(s, ctx, job.spec.deploy.pools, "list");
    return { job: core.jobView(job), pods: core.podsOf(job.id), services: [] };
  });
  server.register("AppMaster/ListPods", (req, ctx) => {
    const core = s.mustCore();
    const job = core.resolve(req.jobId);
    authorize(s, ctx, job.spec.deploy.pools, "list");
    return { pods: core.podsOf(job.id) };
  });
  server.register("AppMaster/RemoveJob", async (req, ctx) => {
    const core = s.mustCore();
    const found = core.resolve(req.id);
    authorize(s, ctx, found.spec.deploy.pools, "remove", found.user);
    const { job, writes } = core.remove(found.id, Date.now());
    await s.persist(writes);
    return core.jobView(job);
  });
  server.register("AppMaster/FetchTask", (req) => {
    const core = s.mustCore();
    s.checkPodToken(req.containerId, req.token);
    if (req.epochSeen > core.epoch) throw new StaleEpochError(core.epoch, req.epochSeen);
    return core.fetchTask(req, Date.now());
  }, { auth: "none" });
}
