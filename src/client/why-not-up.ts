// Why a job's pods are not (all) up: the pending reasons, failing checks and last errors, as one line per kind of
// trouble, for `submit --wait` / `update --watch` that time out.
import type { Job, Pod } from "../rpc/types.ts";

/** "2 pending: no agent has 4000m cpu free (3 agents); 1 deploying, health check failing: web on pod x.1" */
export function whyNotUp(job: Job, pods: Pod[]): string {
  const parts: string[] = [];
  const missing = job.replica - pods.length;
  if (missing > 0) parts.push(`${missing} not placed yet${job.message ? `: ${job.message}` : ""}`);
  const byReason = (ps: Pod[]) => {
    const m = new Map<string, string[]>();
    for (const p of ps) {
      const why = p.lastError || p.tasks.find((t) => t.message)?.message || "";
      m.set(why, [...(m.get(why) ?? []), p.id]);
    }
    return [...m].map(([why, ids]) => `${why || "no reason given yet"} (${ids.length === 1 ? ids[0] : `${ids.length} pods`})`);
  };
  const pending = pods.filter((p) => p.state === "pending");
  if (pending.length) parts.push(`${pending.length} pending: ${byReason(pending).join("; ")}`);
  const unhealthy = pods.filter((p) => p.state === "running" && !p.healthy);
  if (unhealthy.length) parts.push(`${unhealthy.length} running but failing their health check: ${unhealthy.map((p) => p.id).join(", ")}`);
  const starting = pods.filter((p) => p.state === "deploying" || p.state === "starting");
  if (starting.length) parts.push(`${starting.length} still ${starting.length === pods.length ? "deploying" : "deploying or starting"}: ${byReason(starting).join("; ")}`);
  const down = pods.filter((p) => ["lost", "failed", "terminated", "stopping"].includes(p.state));
  if (down.length) parts.push(`${down.length} down: ${byReason(down).join("; ")}`);
  const old = job.state === "updating" || job.state === "update_paused" ? pods.filter((p) => p.version !== job.version).length : 0;
  if (old) parts.push(`${old} still on an older version`);
  return parts.join("; ") || "every pod is up now";
}

/** What to tell the user who pressed Ctrl-C during a wait: nothing stops, and how to look again. */
export function interruptedNote(jobId: string, mode: "deploy" | "update", bin = "galaxy"): string {
  const again = mode === "update" ? `${bin} update ${jobId} --watch` : `${bin} pods ${jobId} --watch`;
  return `\nStopped watching; job ${jobId} goes on (nothing was cancelled). Watch it again with \`${again}\`, or see \`${bin} job ${jobId}\`.\n`;
}
