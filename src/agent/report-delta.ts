// Delta heartbeats, pure: which container reports an agent sends. A full report (every container) when ResMan may
// not know what the agent runs — the first heartbeat, after a failed one (its fate is unknown), when ResMan asks
// (want_full: a new leader, or the agent was declared dead), and every FULL_EVERY_MS as anti-entropy; otherwise
// only the containers whose report changed since the last one ResMan acknowledged. Usage counts as a change only
// past a step (USAGE_STEP_*), so an agent whose containers merely breathe sends almost nothing.
//
//   next(reports, now) ──► { full, containers } ──► Heartbeat ──ok──► commit()   (acknowledged: remember them)
//                                                            └─fail─► failed()  (next one is full)
import type { ContainerReport } from "../rpc/types.ts";

/** How often an agent sends its full report even when nothing asks for it. */
export const FULL_EVERY_MS = 60_000;
/** Usage changes smaller than these are not worth a report of their own (the next full report carries them). */
export const USAGE_STEP_MILLICORES = 50;
export const USAGE_STEP_MEMORY = 16 * 2 ** 20;

/** What of a report matters to ResMan; equal keys need not be sent again. */
export function reportKey(r: ContainerReport): string {
  const u = r.usage;
  return [
    r.state, r.pid, r.startedAt, r.exitCode, r.message, r.cap.grantedAt, r.cap.epoch,
    Math.round(u.millicores / USAGE_STEP_MILLICORES), Math.round(u.memoryRss / USAGE_STEP_MEMORY), u.at > 0 ? 1 : 0,
  ].join("|");
}

export interface ReportBatch {
  full: boolean;
  containers: ContainerReport[];
}

export class ReportDelta {
  /** Each container's key as ResMan last acknowledged it. */
  private acked = new Map<string, string>();
  private needFull = true;
  private lastFullAt = -Infinity;
  private pending: { full: boolean; keys: Map<string, string>; at: number } | null = null;

  constructor(private readonly fullEveryMs = FULL_EVERY_MS) {}

  /** The reports to send now (call commit() or failed() once the heartbeat is answered). */
  next(reports: readonly ContainerReport[], now: number): ReportBatch {
    const full = this.needFull || now - this.lastFullAt >= this.fullEveryMs;
    const keys = new Map<string, string>();
    const containers: ContainerReport[] = [];
    for (const r of reports) {
      const k = reportKey(r);
      keys.set(r.containerId, k);
      if (full || this.acked.get(r.containerId) !== k) containers.push(r);
    }
    this.pending = { full, keys, at: now };
    return { full, containers };
  }

  /** ResMan answered: what was sent is known to it. */
  commit(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    // Containers gone from the agent are forgotten either way; sent ones are now known as sent.
    this.acked = p.keys;
    if (p.full) {
      this.needFull = false;
      this.lastFullAt = p.at;
    }
  }

  /** No answer: ResMan may or may not have applied it, so the next report is full. */
  failed(): void {
    this.pending = null;
    this.needFull = true;
  }

  /** ResMan asked for a full report (a new leader, or it had declared this agent dead). */
  wantFull(): void {
    this.needFull = true;
  }
}
