// AppMaster's copy of ResMan's hints, kept up to date by incremental GetHints (bench B8). Pure: a merge takes the
// cache and a reply and returns the next cache; the shell's sync round and the simulation share it.
//
//   cache {epoch, version, groups} ──► request {since: version, sinceEpoch: epoch} ──► ResMan
//   reply full (first ask, new ResMan epoch, since too old) ──► groups := reply.hints
//   reply incremental (same epoch)                          ──► replace each group sent, drop removed_groups
//   reply incremental from another epoch (never sent)       ──► empty cache: the next round asks for everything
import type { Hint, HintsReply } from "../rpc/types.ts";

export interface HintsCache {
  /** The ResMan epoch the hints come from (0: none yet). */
  readonly epoch: number;
  /** The version of the last merged reply: the next request's `since`. */
  readonly version: number;
  /** Every group ResMan holds containers of, as last heard. Never mutated: a merge that changes it makes a new map. */
  readonly groups: ReadonlyMap<string, Hint>;
}

export const emptyHintsCache = (): HintsCache => ({ epoch: 0, version: 0, groups: new Map() });

/** What to ask ResMan for (with `all: true`). */
export function hintsRequest(cache: HintsCache): { since: number; sinceEpoch: number } {
  return { since: cache.version, sinceEpoch: cache.epoch };
}

/** The cache after a reply. A reply of version 0 comes from a ResMan without hint versions: it is always full. */
export function mergeHints(cache: HintsCache, reply: Pick<HintsReply, "epoch" | "version" | "full" | "hints" | "removedGroups">): HintsCache {
  if (reply.full || reply.version === 0) {
    return { epoch: reply.epoch, version: reply.version, groups: new Map(reply.hints.map((h) => [h.groupId, h])) };
  }
  if (reply.epoch !== cache.epoch || reply.version < cache.version) return emptyHintsCache(); // answers no question we asked
  if (reply.hints.length === 0 && reply.removedGroups.length === 0) return { ...cache, version: reply.version };
  const groups = new Map(cache.groups);
  for (const h of reply.hints) groups.set(h.groupId, h);
  for (const g of reply.removedGroups) groups.delete(g);
  return { epoch: cache.epoch, version: reply.version, groups };
}

/** The merged hints, every group, as one full GetHints would list them. */
export function allHints(cache: HintsCache): Hint[] {
  return [...cache.groups.values()];
}

/**
 * What AppMaster has not applied yet of its merged hints (bench B13): everything (after a full reply, a new epoch, a
 * reset cache), or the groups changed and gone since. Rounds whose hints are not usable (ResMan recovering) add to it.
 */
export interface HintNews {
  all: boolean;
  changed: Set<string>;
  removed: Set<string>;
}

export const hintNews = (all: boolean): HintNews => ({ all, changed: new Set(), removed: new Set() });

/** Adds a reply's news (merged into `merged` from `asked`). */
export function noteNews(news: HintNews, asked: HintsCache, merged: HintsCache, reply: Pick<HintsReply, "full" | "hints" | "removedGroups">): void {
  if (reply.full || merged.epoch !== asked.epoch || merged.version === 0) {
    news.all = true;
    return;
  }
  for (const h of reply.hints) news.changed.add(h.groupId);
  for (const g of reply.removedGroups) news.removed.add(g);
}
