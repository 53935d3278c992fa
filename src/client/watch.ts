// Live progress for `galaxy submit --wait` and `galaxy update --watch`: counts per pod state, redrawn in place on a
// terminal, one line per change otherwise; resolves with success, or the reason it failed (a pod failed past its
// retries, an update paused on a failure, the deadline passed).
import type { RpcClient } from "../rpc/index.ts";
import type { Job, Pod } from "../rpc/types.ts";
import { interruptedNote, whyNotUp } from "./why-not-up.ts";

export type WatchMode = "deploy" | "update";

export interface WatchResult {
  ok: boolean;
  reason: string;
  job: Job;
}

/** Pure: has the job reached the end of what is watched, and how did it end? null while it is still going. */
export function judge(mode: WatchMode, job: Job, pods: Pod[]): { ok: boolean; reason: string } | null {
  const failed = pods.find((p) => p.state === "failed");
  if (mode === "deploy") {
    if (failed) return { ok: false, reason: `pod ${failed.id} failed: ${failed.lastError || "see galaxy events"}` };
    if (job.state === "finished") return job.failed > 0 ? { ok: false, reason: `${job.failed} pods failed` } : { ok: true, reason: "finished" };
    const batch = job.jobType === "batch" || job.jobType === "best-effort";
    if (!batch && job.replica === pods.filter((p) => p.state === "running").length) return { ok: true, reason: "all pods running" };
    return null;
  }
  if (job.state === "update_paused") {
    return /fail|error|timed out/i.test(job.message) ? { ok: false, reason: job.message } : { ok: true, reason: `paused: ${job.message || "at the break point"}` };
  }
  if (job.state !== "updating") return { ok: true, reason: job.update.state === "cancelled" ? "update cancelled" : "update done" };
  return null;
}

/** "2/3 running, 1 deploying": running pods out of the replica, then the other states present, most advanced first. */
export function countsLine(job: Job, pods: Pod[]): string {
  const order = ["running", "finished", "starting", "deploying", "pending", "lost", "stopping", "failed", "terminated"];
  const counts = new Map<string, number>();
  for (const p of pods) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
  if (pods.length === 0) return `0/${job.replica} placed`;
  // Only running pods count towards the replica; the other states are just counted.
  const rest = order.filter((s) => s !== "running" && counts.has(s)).map((s) => `${counts.get(s)} ${s}`);
  return [`${counts.get("running") ?? 0}/${job.replica} running`, ...rest].join(", ");
}

export interface WatchOptions {
  deadlineMs: number;
  tty: boolean;
  write: (s: string) => void;
  describe?: (job: Job) => string;
  intervalMs?: number;
}

/** Polls until judge() decides or the deadline passes; Ctrl-C says the job goes on and how to watch it again. */
export async function watchJob(
  am: RpcClient,
  id: string,
  mode: WatchMode,
  opts: WatchOptions,
): Promise<WatchResult> {
  const end = Date.now() + opts.deadlineMs;
  const onInt = () => {
    process.stderr.write(interruptedNote(id, mode));
    process.exit(130);
  };
  process.once("SIGINT", onInt);
  try {
    return await poll(am, id, mode, opts, end);
  } finally {
    process.off("SIGINT", onInt);
  }
}

async function poll(am: RpcClient, id: string, mode: WatchMode, opts: WatchOptions, end: number): Promise<WatchResult> {
  let last = "";
  for (;;) {
    const { job, pods } = await am.call("AppMaster/ShowJob", { id });
    const line = `${job.id}: ${countsLine(job, pods)}${opts.describe ? `; ${opts.describe(job)}` : ""}`;
    if (line !== last) opts.write(opts.tty ? `\r\x1b[K${line}` : `${line}\n`);
    last = line;
    const verdict = judge(mode, job, pods);
    if (verdict || Date.now() >= end) {
      if (opts.tty) opts.write("\n");
      return { ...(verdict ?? { ok: false, reason: `timed out after ${Math.round(opts.deadlineMs / 1000)} s; ${whyNotUp(job, pods)}` }), job };
    }
    await Bun.sleep(opts.intervalMs ?? 500);
  }
}
