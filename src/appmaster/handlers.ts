// AppMaster's RPC handlers: jobs for clients (checked against the caller's grants), FetchTask for workers.
// Each handler: decide (core) -> persist (LMDB) -> act (ResMan) -> answer.
import { NotFoundError, UnauthenticatedError } from "../core/errors.ts";
import { parseJobFile, type JobSpec } from "../core/jobspec.ts";
import { formatDiff, podChanges, specDiff } from "./history.ts";
import { classifyUpdate } from "./rollout.ts";
import type { CallContext, RpcServer } from "../rpc/index.ts";
import { admitGroupChange, admitNewJob } from "./admission.ts";
import { authorize, mayList, maySubmitSomewhere, seesAll } from "./authz.ts";
import { finishedTaken, type AppMasterCore } from "./core.ts";
import { groupSpecOf, type JobRecord } from "./jobs.ts";
import { checkReport, fetchTasks, nextTurn } from "./fetch-tasks.ts";
import type { UpdateAction } from "./rollout.ts";
import { randomSuffix, type AppMasterShell } from "./server.ts";
import { servicesOf } from "./services.ts";
import type { jobView } from "./views.ts";
import { podTruth } from "./pods.ts";

function callerName(ctx: CallContext): string {
  if (ctx.principal.kind === "user") return ctx.principal.user ?? "";
  if (ctx.principal.kind === "internal") return "system";
  throw new UnauthenticatedError();
}

/** A job by reference among those the caller may list (so an ambiguity names only jobs it may see). */
const find = (core: AppMasterCore, ctx: CallContext, ref: string): JobRecord => core.resolve(ref, (j) => mayList(ctx.principal, j));

/** Reading a job: its owner, or `list` on its pools. */
function requireList(ctx: CallContext, job: JobRecord): void {
  if (!mayList(ctx.principal, job)) authorize(ctx.principal, job.spec.deploy.pools, "list");
}

/** Did the change touch what ResMan holds for the job (anything but the version)? */
const groupChanged = (a: JobRecord, b: JobRecord, now: number) =>
  JSON.stringify({ ...groupSpecOf(a, now), version: 0 }) !== JSON.stringify({ ...groupSpecOf(b, now), version: 0 });

export function registerJobHandlers(server: RpcServer, s: AppMasterShell): void {
  const view = (j: JobRecord, brief = false) => s.mustCore().viewJob(j, Date.now(), brief);

  server.register("AppMaster/SubmitJob", async (req, ctx) => {
    const core = s.mustCore();
    maySubmitSomewhere(ctx.principal); // cheap checks first: who, then the size and depth of the text, then parse
    const spec = parseJobFile(req.spec.text, req.spec.filename || "job");
    const existing = req.apply ? core.byName(spec.name, callerName(ctx)) : undefined;
    if (existing) return applyToJob(s, ctx, existing, spec, req.dryRun, view);
    authorize(ctx.principal, spec.deploy.pools, "submit");
    if (req.dryRun) return { job: { name: spec.name, jobType: spec.type, replica: spec.deploy.replica }, warnings: [], action: "created" };
    const { job, out } = core.submit(spec, callerName(ctx), Date.now(), randomSuffix());
    const warnings = await admitNewJob(core, s, job, out);
    return { job: view(job), warnings, action: "created" };
  });
  server.register("AppMaster/JobHistory", (req, ctx) => {
    const job = find(s.mustCore(), ctx, req.id);
    requireList(ctx, job);
    // a job from before versions were kept: its current description is all there is
    const kept = job.history?.length ? job.history : [{ version: job.version, at: job.updatedAt, user: job.user, change: "(versions before this one were not kept)", spec: job.spec }];
    const versions = kept.map((h) => ({ version: h.version, at: h.at, user: h.user, change: h.change, specJson: JSON.stringify(h.spec) }));
    return { versions, current: job.version };
  });
  server.register("AppMaster/ListJobs", (req, ctx) => {
    const core = s.mustCore();
    const p = ctx.principal;
    const mine = (j: JobRecord) => seesAll(p) || j.user === p.user;
    // --all and --user widen the listing only to jobs the caller may list; never another user's job without `list`
    const jobs = [...core.jobs.values()].filter((j) => (req.user ? j.user === req.user : req.all || mine(j)) && mayList(p, j));
    return { jobs: jobs.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)).map((j) => view(j, req.brief)) };
  });
  server.register("AppMaster/ShowJob", (req, ctx) => {
    const core = s.mustCore();
    const job = find(core, ctx, req.id);
    requireList(ctx, job);
    const pods = core.podsNow(job.id, Date.now());
    return { job: view(job), pods, services: servicesOf(job.spec, pods) };
  });
  server.register("AppMaster/ListPods", (req, ctx) => {
    const core = s.mustCore();
    const job = find(core, ctx, req.jobId);
    requireList(ctx, job);
    return { pods: core.podsNow(job.id, Date.now()) };
  });
  server.register("AppMaster/ListServices", (req, ctx) => {
    const core = s.mustCore();
    const job = find(core, ctx, req.id);
    requireList(ctx, job);
    return { services: servicesOf(job.spec, core.podsNow(job.id, Date.now())) };
  });
  server.register("AppMaster/RemoveJob", async (req, ctx) => {
    const core = s.mustCore();
    const found = find(core, ctx, req.id);
    authorize(ctx.principal, found.spec.deploy.pools, "remove", found.user);
    const { job, out } = core.remove(found.id, Date.now());
    await s.persist(out);
    return view(job);
  });
  registerChangeHandlers(server, s, view);
  registerEventHandlers(server, s);
  server.register("AppMaster/FetchTask", async (req) => {
    const core = s.mustCore();
    checkReport(s, core, req);
    const first = core.recordTask(req, Date.now());
    await s.persist(first.out);
    if (first.reply) return first.reply;
    // The reports arriving in this turn are recorded first, so their job is planned once for all of them.
    await nextTurn();
    const { reply, out } = s.mustCore().fetchTask(req, Date.now());
    await s.persist(out);
    return reply;
  }, { auth: "none" });
  // A host worker's reports in one call (fetch-tasks.ts), held while they ask nothing new when it says wait_ms.
  server.register("AppMaster/FetchTasks", (req) => fetchTasks(s, req.reports, req.waitMs), { auth: "none" });
}


function registerChangeHandlers(server: RpcServer, s: AppMasterShell, view: (j: JobRecord) => ReturnType<typeof jobView>): void {
  server.register("AppMaster/UpdateJob", async (req, ctx) => {
    const core = s.mustCore();
    const found = find(core, ctx, req.id);
    authorize(ctx.principal, found.spec.deploy.pools, "update", found.user);
    const now = Date.now();
    if (req.action) {
      const { job, out } = core.updateAction(found.id, req.action as UpdateAction, req.breakAfter, now, callerName(ctx), Number(req.toVersion));
      await s.persist(out);
      return view(job);
    }
    const spec = parseJobFile(req.spec.text, req.spec.filename || "job");
    authorize(ctx.principal, spec.deploy.pools, "update");
    return (await updateTo(s, ctx, found, spec, req.breakAfter, view)).job;
  });
  server.register("AppMaster/ScaleJob", async (req, ctx) => {
    const core = s.mustCore();
    const found = find(core, ctx, req.id);
    authorize(ctx.principal, found.spec.deploy.pools, "update", found.user);
    const { job, before, out } = core.scale(found.id, req.replica, Date.now());
    const warnings = await admitGroupChange(core, s, before, job, out);
    return { ...view(core.jobs.get(job.id)!), warnings };
  });
  server.register("AppMaster/RecoverPod", async (req, ctx) => {
    const core = s.mustCore();
    const found = find(core, ctx, req.jobId);
    authorize(ctx.principal, found.spec.deploy.pools, "update", found.user);
    const { pod, out } = core.recover(found.id, req.podId, Date.now());
    await s.persist(out);
    return podTruth(pod, Date.now());
  });
}

type View = (j: JobRecord) => ReturnType<typeof jobView>;

/** A new description for a job: the change is decided, persisted, and (when its group changed) admitted by ResMan. */
async function updateTo(s: AppMasterShell, ctx: CallContext, found: JobRecord, spec: JobSpec, breakAfter: number, view: View) {
  const core = s.mustCore();
  const now = Date.now();
  const { job, before, kind, out } = core.update(found.id, spec, breakAfter, now, callerName(ctx));
  if (kind === "none") return { kind, job: { ...view(job), unchanged: true, warnings: ["nothing changed: the description is the same as the current one"] } };
  const warnings = groupChanged(before, job, now) ? await admitGroupChange(core, s, before, job, out) : (await s.persist(out), []);
  return { kind, job: { ...view(core.jobs.get(job.id)!), warnings } };
}

/** galaxy apply of a name the caller has: an update (dry run: what it would change, for galaxy plan). */
async function applyToJob(s: AppMasterShell, ctx: CallContext, found: JobRecord, spec: JobSpec, dryRun: boolean, view: View) {
  authorize(ctx.principal, found.spec.deploy.pools, "update", found.user);
  authorize(ctx.principal, spec.deploy.pools, "update");
  if (found.state === "finished") throw finishedTaken(found);
  const kind = classifyUpdate(found.spec, spec);
  const preview = {
    diff: formatDiff(specDiff(found.spec, spec)), change: kind,
    pods: podChanges(found.id, kind, found.spec.deploy.replica, spec.deploy.replica),
  };
  if (dryRun) return { job: view(found), warnings: [], action: kind === "none" ? "unchanged" : "updated", ...preview };
  const r = await updateTo(s, ctx, found, spec, 0, view);
  return { job: r.job, warnings: r.job.warnings, action: r.kind === "none" ? "unchanged" : "updated", ...preview };
}

function registerEventHandlers(server: RpcServer, s: AppMasterShell): void {
  server.register("AppMaster/ListEvents", (req, ctx) => {
    const core = s.mustCore();
    let jobId = "";
    let unknown: NotFoundError | null = null;
    if (req.jobId) {
      try {
        const job = find(core, ctx, req.jobId);
        requireList(ctx, job);
        jobId = job.id;
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        if (!seesAll(ctx.principal)) throw e; // a removed job's trail is for admins
        jobId = req.jobId;
        unknown = e;
      }
    }
    const r = s.events.list(jobId, req.afterSeq, req.limit);
    if (unknown && r.events.length === 0 && !req.afterSeq) throw unknown; // no such job, nor a trail of one
    if (jobId || seesAll(ctx.principal)) return r;
    const mine = (id: string) => id === "" || core.jobs.get(id)?.user === ctx.principal.user;
    return { events: r.events.filter((e) => mine(e.jobId)), lastSeq: r.lastSeq };
  });
}
