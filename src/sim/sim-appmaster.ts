// AppMaster in the simulation: the real AppMasterCore over a "disk" (its jobs table), driving ResMan through the
// same sequence as its shell's sync round (GetHints since the last reply, merged into the hints cache as the shell
// does; on a new ResMan epoch, SyncGroups with the full requests and the last hints; applyNews (as the shell: only
// what changed since the last apply); tick; missing groups; moves; release) and answering workers' FetchTask.
import { AppMasterCore, type Out } from "../appmaster/core.ts";
import { emptyHintsCache, hintNews, hintsRequest, mergeHints, noteNews, type HintNews, type HintsCache } from "../appmaster/hints-cache.ts";
import { groupSpecOf, type JobRecord } from "../appmaster/jobs.ts";
import { lastHints, type PlacementRec } from "../appmaster/placements.ts";
import type { JobSpec } from "../core/jobspec.ts";
import type { FetchTaskReply, FetchTaskRequest, GroupSpec, Hint, HintsReply } from "../rpc/types.ts";

/** What the simulated AppMaster asks of ResMan (the world routes it, or throws when unreachable). */
export interface ResManApi {
  getHints(amEpoch: number, since: number, sinceEpoch: number): HintsReply;
  syncGroups(amEpoch: number, groups: GroupSpec[], hints: Hint[]): void;
  createGroup(amEpoch: number, group: GroupSpec): void;
  removeGroup(amEpoch: number, id: string): void;
  reschedule(amEpoch: number, containerId: string, reason: string): void;
}

export class SimAppMaster {
  readonly disk = new Map<string, JobRecord>();
  /** AppMaster's last hints, persisted: after its own failover it can still tell a new ResMan where pods ran. */
  readonly placements = new Map<string, PlacementRec>();
  core: AppMasterCore | null = null;
  epoch = 0;
  private syncedEpoch = -1;
  /** ResMan's hints as last merged (soft: lost with a crash). */
  hintsCache: HintsCache = emptyHintsCache();
  private news: HintNews = hintNews(true);
  private readonly known = new Set<string>();
  private seq = 0;

  start(now: number): void {
    this.epoch++;
    this.syncedEpoch = -1;
    this.hintsCache = emptyHintsCache();
    this.news = hintNews(true);
    this.known.clear();
    this.core = new AppMasterCore(this.epoch, [...this.disk.values()].map((j) => structuredClone(j)), now);
  }

  crash(): void {
    this.core = null;
  }

  private persist(out: Out): void {
    for (const w of out.writes) w.value === null ? this.disk.delete(w.key) : this.disk.set(w.key, structuredClone(w.value));
  }

  submit(spec: JobSpec, now: number): string {
    const { job, out } = this.core!.submit(spec, "admin", now, (this.seq++).toString(16).padStart(4, "0"));
    this.persist(out);
    return job.id;
  }

  remove(id: string, now: number): void {
    this.persist(this.core!.remove(id, now).out);
  }

  private jobIds(): Set<string> {
    return new Set(this.core!.jobs.keys());
  }

  private rememberPlacements(): void {
    const { put, del } = this.core!.savedPlacementChanges(this.placements);
    for (const [k, v] of put) this.placements.set(k, v);
    for (const k of del) this.placements.delete(k);
  }

  /** One sync round with ResMan (throws when ResMan is unreachable, after the time-driven part). */
  sync(rm: ResManApi, now: number): void {
    const core = this.core!;
    const { since, sinceEpoch } = hintsRequest(this.hintsCache);
    const hints = rm.getHints(core.epoch, since, sinceEpoch);
    const asked = this.hintsCache;
    this.hintsCache = mergeHints(asked, hints);
    noteNews(this.news, asked, this.hintsCache, hints);
    if (this.hintsCache.epoch !== hints.epoch) throw new Error(`invariant: an incremental hints reply of epoch ${hints.epoch} to epoch ${sinceEpoch}`);
    const fresh = hints.epoch !== this.syncedEpoch;
    if (fresh) {
      const groups = [...core.jobs.values()].filter((j) => j.state !== "destroying").map((j) => groupSpecOf(j, now));
      rm.syncGroups(core.epoch, groups, lastHints(this.placements, core.pods.values(), this.jobIds()));
      this.known.clear();
      for (const g of groups) this.known.add(g.id);
      this.syncedEpoch = hints.epoch;
    }
    const usable = !fresh && !hints.recovering;
    if (usable) {
      this.persist(core.applyNews(this.news, this.hintsCache, now));
      this.rememberPlacements();
    }
    const out = core.tick(now);
    this.persist(out);
    if (!usable) return;
    for (const g of this.hintsCache.groups.keys()) this.known.add(g);
    for (const j of core.jobs.values()) {
      if (j.state === "destroying" || this.known.has(j.id)) continue;
      rm.createGroup(core.epoch, groupSpecOf(j, now));
      this.known.add(j.id);
    }
    for (const m of out.moves) {
      rm.reschedule(core.epoch, m.pod, m.reason);
      this.persist(core.moved(m, now));
    }
    for (const j of core.readyToRelease(now, 5_000)) {
      if (this.known.has(j.id)) rm.removeGroup(core.epoch, j.id);
      this.persist(core.forget(j.id));
      this.known.delete(j.id);
    }
  }

  fetchTask(req: FetchTaskRequest, now: number): FetchTaskReply {
    const { reply, out } = this.core!.fetchTask(req, now);
    this.persist(out);
    return reply;
  }
}
