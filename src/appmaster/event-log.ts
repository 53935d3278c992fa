// The event trail in LMDB: every event once cluster-wide (table "events", key = zero-padded seq) and once under its
// job (table "job-events", key = "<job>/<seq>"), each bounded: the oldest are trimmed past the caps.
import type { JobEvent } from "../rpc/types.ts";
import type { Store, Table, WriteTx } from "../store/index.ts";
import type { NewEvent } from "./core.ts";

export interface EventLogLimits {
  perJob: number;
  total: number;
}

const pad = (seq: number) => String(seq).padStart(16, "0");

export class EventLog {
  private readonly all: Table<JobEvent>;
  private readonly byJob: Table<JobEvent>;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly limits: EventLogLimits = { perJob: 500, total: 20_000 },
  ) {
    this.all = store.table<JobEvent>("events");
    this.byJob = store.table<JobEvent>("job-events");
  }

  /** Adds events to a write transaction (they commit with the job writes they explain). */
  stage(tx: WriteTx, events: NewEvent[]): JobEvent[] {
    return events.map((e) => {
      const ev: JobEvent = { seq: this.store.nextSeq("events"), at: e.at, jobId: e.jobId, podId: e.podId, kind: e.kind, message: e.message };
      tx.put(this.all, pad(ev.seq), ev);
      if (ev.jobId) {
        tx.put(this.byJob, `${ev.jobId}/${pad(ev.seq)}`, ev);
        this.counts.set(ev.jobId, (this.counts.get(ev.jobId) ?? this.byJob.keys(`${ev.jobId}/`).length) + 1);
      }
      return ev;
    });
  }

  /** Events after `afterSeq`, oldest first; the newest `limit` of them when there are more. */
  list(jobId: string, afterSeq: number, limit: number): { events: JobEvent[]; lastSeq: number } {
    const rows = jobId ? this.byJob.list(`${jobId}/`) : this.all.list();
    const newer = rows.filter((e) => e.seq > afterSeq);
    const events = limit > 0 ? newer.slice(-limit) : newer;
    const lastSeq = rows.length ? rows[rows.length - 1]!.seq : afterSeq;
    return { events, lastSeq: Math.max(lastSeq, afterSeq) };
  }

  /** Drops the oldest events past the caps (cheap when nothing is over). */
  async trim(): Promise<void> {
    const drop: Array<[Table<JobEvent>, string]> = [];
    const total = this.all.count();
    if (total > this.limits.total * 1.1) for (const k of this.all.keys().slice(0, total - this.limits.total)) drop.push([this.all, k]);
    for (const [job, n] of this.counts) {
      if (n <= this.limits.perJob * 1.1) continue;
      const keys = this.byJob.keys(`${job}/`);
      for (const k of keys.slice(0, keys.length - this.limits.perJob)) drop.push([this.byJob, k]);
      this.counts.set(job, this.limits.perJob);
    }
    if (drop.length) await this.store.write((tx) => drop.forEach(([t, k]) => tx.delete(t, k)));
  }
}
