import { describe, expect, test } from "bun:test";
import type { Hint, HintsReply } from "../rpc/types.ts";
import { allHints, emptyHintsCache, hintsRequest, mergeHints } from "./hints-cache.ts";

const hint = (groupId: string, ...agents: string[]): Hint => ({
  groupId,
  containers: agents.map((agent, i) => ({ id: `${groupId}.${i}`, groupId, agent }) as Hint["containers"][number]),
});
const reply = (over: Partial<HintsReply>): HintsReply =>
  ({ epoch: 1, version: 10, full: false, hints: [], removedGroups: [], recovering: false, ...over });
const view = (c: ReturnType<typeof emptyHintsCache>) => Object.fromEntries(allHints(c).map((h) => [h.groupId, h.containers.map((x) => x.agent)]));

describe("the hints cache", () => {
  test("starts empty and asks for everything; a full reply replaces all", () => {
    const c0 = emptyHintsCache();
    expect(hintsRequest(c0)).toEqual({ since: 0, sinceEpoch: 0 });
    const c1 = mergeHints(c0, reply({ full: true, hints: [hint("web", "a", "b"), hint("job", "c")] }));
    expect(hintsRequest(c1)).toEqual({ since: 10, sinceEpoch: 1 });
    expect(view(c1)).toEqual({ web: ["a", "b"], job: ["c"] });
    const c2 = mergeHints(c1, reply({ full: true, version: 12, hints: [hint("db", "a")] }));
    expect(view(c2)).toEqual({ db: ["a"] });
  });

  test("an incremental reply replaces the groups it sends, drops the removed ones, keeps the rest", () => {
    const c1 = mergeHints(emptyHintsCache(), reply({ full: true, hints: [hint("web", "a", "b"), hint("job", "c"), hint("old", "a")] }));
    const c2 = mergeHints(c1, reply({ version: 14, hints: [hint("web", "a", "c"), hint("new", "b")], removedGroups: ["old"] }));
    expect(view(c2)).toEqual({ web: ["a", "c"], job: ["c"], new: ["b"] });
    expect(c2.version).toBe(14);
    expect(view(c1)).toEqual({ web: ["a", "b"], job: ["c"], old: ["a"] }); // pure: the old cache is untouched
    const quiet = mergeHints(c2, reply({ version: 14 }));
    expect(quiet.groups).toBe(c2.groups);
  });

  test("a new ResMan epoch answers in full; an incremental reply of another epoch empties the cache", () => {
    const c1 = mergeHints(emptyHintsCache(), reply({ full: true, hints: [hint("web", "a")] }));
    const failover = mergeHints(c1, reply({ epoch: 2, version: 3, full: true, hints: [hint("web", "b")] }));
    expect({ epoch: failover.epoch, version: failover.version, view: view(failover) }).toEqual({ epoch: 2, version: 3, view: { web: ["b"] } });
    const odd = mergeHints(c1, reply({ epoch: 2, version: 30, hints: [hint("job", "a")] }));
    expect(hintsRequest(odd)).toEqual({ since: 0, sinceEpoch: 0 });
    expect(view(odd)).toEqual({});
  });

  test("a reply without versions (a ResMan before them: version 0) is taken as everything", () => {
    const c1 = mergeHints(emptyHintsCache(), reply({ full: true, hints: [hint("web", "a"), hint("job", "b")] }));
    const c2 = mergeHints(c1, reply({ version: 0, hints: [hint("web", "c")] }));
    expect(view(c2)).toEqual({ web: ["c"] });
    expect(hintsRequest(c2).since).toBe(0);
  });
});
