// AppMaster/FetchTasks: a host worker's reports, one per pod it serves, in one call (issue 22). Each report is checked
// (its own pod token, the epoch) and answered as a FetchTask of its own; a refused one refuses only itself.
// With wait_ms, a call whose every reply would change nothing for its pod is held (a long-poll) until one of those
// jobs or pods changes, the AppMaster loses its leadership, or the wait is up; then the reports are answered anew,
// except a pod whose worker reported again meanwhile (that call got the newer answer: this one says `none`).
//
//   check each ─► record each ─► next turn ─► plan each ─► all quiet and wait_ms? ─► hold (200 ms checks) ─► again
import { StaleEpochError } from "../core/errors.ts";
import type { FetchTaskReply, FetchTaskRequest, FetchTasksReply } from "../rpc/types.ts";
import type { AppMasterCore } from "./core.ts";
import { checkPodClaim } from "./pod-auth.ts";
import type { AppMasterShell } from "./server.ts";

/** The longest a FetchTasks is held: well under STALE_REPORT_MS (pods.ts), so that waiting pods never look silent. */
export const LONG_POLL_MAX_MS = 5_000;

/** A worker's report speaks for its own pod only (its token), from an epoch not above this AppMaster's. */
export function checkReport(s: AppMasterShell, core: AppMasterCore, req: FetchTaskRequest): void {
  s.checkPodToken(req.containerId, req.token);
  checkPodClaim(req, core.pods.get(req.containerId)?.jobId); // the token speaks for its own pod only
  if (req.epochSeen > core.epoch) throw new StaleEpochError(core.epoch, req.epochSeen);
}

/** A reply that asks nothing new of a worker that reported `req` (pure). */
export function quietReply(req: FetchTaskRequest, reply: FetchTaskReply): boolean {
  // AppMaster is not pacing anything (it answers a busy job or pod, or itself warming up, every 300-500 ms)
  if (reply.intervalMs < 1000 || (req.state !== "running" && req.state !== "finished")) return false;
  if (reply.command === "none") return true;
  // start at the version it runs; rebuild, reload, terminate, quit: something to do
  return reply.command === "start" && reply.version === req.version;
}

export async function fetchTasks(s: AppMasterShell, reports: FetchTaskRequest[], waitMs: number, sleep = (ms: number) => Bun.sleep(ms)): Promise<FetchTasksReply> {
  const first = await answer(s, reports, new Map());
  const wait = Math.min(waitMs, LONG_POLL_MAX_MS);
  if (wait <= 0 || !reports.every((r, i) => !!first.errors[i] || quietReply(r, first.replies[i]!))) return first;
  const core = s.mustCore();
  const jobs = [...new Set(reports.map((r) => r.jobId))];
  const seen = jobs.map((j) => ({ job: core.jobs.get(j), gen: core.generation(j) }));
  const end = Date.now() + wait;
  while (Date.now() < end) {
    await sleep(200);
    if (currentCore(s) !== core || jobs.some((j, i) => core.jobs.get(j) !== seen[i]!.job || core.generation(j) !== seen[i]!.gen)) break;
  }
  return answer(s, reports, first.recordedAt);
}

interface Answered extends FetchTasksReply {
  /** when each pod's report was recorded (its PodRec.updatedAt then) */
  recordedAt: Map<string, number>;
}

async function answer(s: AppMasterShell, reports: FetchTaskRequest[], before: Map<string, number>): Promise<Answered> {
  const core = s.mustCore();
  const none: FetchTaskReply = { epoch: core.epoch, command: "none", version: 0, podJson: "", intervalMs: 0, stopTimeout: "", opId: "" };
  const errors = reports.map((r) => {
    try {
      checkReport(s, core, r);
      return "";
    } catch (e) {
      return (e as Error).message;
    }
  });
  const replies: (FetchTaskReply | null)[] = reports.map(() => null);
  // a pod reported again since this call recorded it: that newer call has the answer; this report is not recorded again
  const newer = reports.map((r) => before.has(r.containerId) && (core.pods.get(r.containerId)?.updatedAt ?? 0) > before.get(r.containerId)!);
  const now = Date.now();
  const writes: Promise<void>[] = []; // committed together, in order (as concurrent FetchTasks would be)
  for (const [i, r] of reports.entries()) {
    if (errors[i] || newer[i]) continue;
    const first = core.recordTask(r, now);
    writes.push(s.persist(first.out));
    replies[i] = first.reply;
  }
  await Promise.all(writes.splice(0));
  await nextTurn(); // every report recorded first: each job is planned once for all of them
  const core2 = s.mustCore();
  for (const [i, r] of reports.entries()) {
    if (errors[i] || newer[i] || replies[i]) continue;
    const { reply, out } = core2.fetchTask(r, Date.now());
    writes.push(s.persist(out));
    replies[i] = reply;
  }
  await Promise.all(writes);
  const recordedAt = new Map(reports.map((r) => [r.containerId, core2.pods.get(r.containerId)?.updatedAt ?? 0]));
  return { replies: replies.map((r) => r ?? none), errors, recordedAt };
}

function currentCore(s: AppMasterShell): AppMasterCore | null {
  try {
    return s.mustCore();
  } catch {
    return null; // no longer the leader
  }
}

let turn: Promise<void> | null = null;

/** Resolves on the next event-loop turn; every caller of this turn shares it. */
export function nextTurn(): Promise<void> {
  turn ??= new Promise<void>((resolve) => setImmediate(() => {
    turn = null;
    resolve();
  }));
  return turn;
}
