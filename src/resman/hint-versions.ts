// Per-group hint versions (bench B8): AppMaster asks GetHints{since} every 500 ms and gets only the groups whose
// hints changed after `since`, each whole. One counter; a group's version is the counter at its last change.
//
//   placement add/assign/unassign/remove ──┐
//   a report that changes state/pid/...  ──┼──► touch(group) ──► version++ (unless no reader saw the last one)
//   schedule: pending reasons changed    ──┤                      └─► log (version, group), compacted
//   lost (agent timeout), group spec     ──┘
//   a report that changes usage only ──► usageStale ──► refreshUsage(now): touch at a bounded containers/s
//
//   changedSince(since) ──► binary search in the log ──► the groups whose current version is > since: O(changed)
//
// A group that changed and has no containers left is reported removed. Groups without containers are forgotten after
// a while (only the newest KEEP_REMOVED are kept); `floor` then rises, and a `since` below it gets everything.

/** How many removed groups (no containers left) stay answerable before the oldest are forgotten. */
const KEEP_REMOVED = 1024;

export class HintVersions {
  /** The version of the last change (0: none yet). */
  version = 0;
  /** A `since` below this cannot be answered incrementally (a removal older than it was forgotten). */
  floor = 0;
  /** The highest version a reader has been given: a change to a group already newer than it needs no new version. */
  private served = 0;
  private readonly byGroup = new Map<string, number>();
  /** (version, group) by version; an entry is current when byGroup holds the same version. */
  private logV: number[] = [];
  private logG: string[] = [];
  /** Groups whose only change is usage (reports carry it every heartbeat): re-sent at a bounded rate. */
  private readonly usageStale = new Set<string>();
  private allowance = 0;
  private lastRefresh = -1;

  /** hasContainers: whether a group has containers now (one without is reported removed, and forgotten later). */
  constructor(readonly hasContainers: (group: string) => boolean) {}

  /** Something a hint of the group carries changed. */
  touch(group: string): void {
    this.usageStale.delete(group);
    const cur = this.byGroup.get(group);
    if (cur !== undefined && cur > this.served) return; // no reader has seen `cur` yet: it still covers this change
    const v = ++this.version;
    this.byGroup.set(group, v);
    this.logV.push(v);
    this.logG.push(group);
    if (this.logV.length > 2 * this.byGroup.size + 64) this.compact();
  }

  /** A report changed only a container's usage: the group is re-sent when the usage budget allows. */
  usageChanged(group: string): void {
    this.usageStale.add(group);
  }

  of(group: string): number {
    return this.byGroup.get(group) ?? 0;
  }

  /** The groups changed after `since`, oldest change first; null when `since` cannot be answered (send everything). */
  changedSince(since: number): string[] | null {
    this.served = this.version;
    if (since <= 0 || since < this.floor || since > this.version) return null;
    const out: string[] = [];
    for (let i = firstAbove(this.logV, since); i < this.logV.length; i++) {
      const g = this.logG[i]!;
      if (this.byGroup.get(g) === this.logV[i]) out.push(g);
    }
    return out;
  }

  /** A full answer went out at the current version. */
  servedAll(): void {
    this.served = this.version;
  }

  /**
   * Promotes usage-only changes to versions at `perSec` containers per second (sizeOf: a group's containers), so
   * usage in hints stays fresh without every heartbeat making every group new.
   */
  refreshUsage(now: number, perSec: number, sizeOf: (group: string) => number): void {
    const dt = this.lastRefresh < 0 ? 0 : Math.max(0, now - this.lastRefresh);
    this.lastRefresh = now;
    if (this.usageStale.size === 0) {
      this.allowance = 0;
      return;
    }
    this.allowance += (dt * perSec) / 1000;
    for (const g of this.usageStale) {
      const n = sizeOf(g);
      if (n > this.allowance) break;
      this.allowance -= n;
      this.touch(g); // also takes it out of usageStale
    }
  }

  /** Drops superseded log entries, and groups without containers beyond the newest KEEP_REMOVED (raising `floor`). */
  private compact(): void {
    const gone: number[] = [];
    for (const [g, v] of this.byGroup) if (!this.hasContainers(g)) gone.push(v);
    if (gone.length > KEEP_REMOVED) {
      gone.sort((a, b) => a - b);
      const drop = gone[gone.length - KEEP_REMOVED - 1]!;
      for (const [g, v] of this.byGroup) if (v <= drop && !this.hasContainers(g)) this.byGroup.delete(g);
      this.floor = Math.max(this.floor, drop);
    }
    const v: number[] = [];
    const gs: string[] = [];
    for (let i = 0; i < this.logV.length; i++) {
      if (this.byGroup.get(this.logG[i]!) !== this.logV[i]) continue;
      v.push(this.logV[i]!);
      gs.push(this.logG[i]!);
    }
    this.logV = v;
    this.logG = gs;
  }
}

/** The first index whose version is > since (versions ascending). */
function firstAbove(vs: number[], since: number): number {
  let lo = 0;
  let hi = vs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (vs[mid]! <= since) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
