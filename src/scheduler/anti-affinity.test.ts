// The index that turns job-level anti-affinity rules into constraints over group ids.
import { describe, expect, test } from "bun:test";
import { AntiAffinityIndex, type RuleOwner } from "./anti-affinity.ts";

const g = (id: string, name: string, rules: [string, number][] = [], user = "u"): RuleOwner =>
  ({ id, user, name, antiAffinity: rules.map(([job, maxPerHost]) => ({ job, maxPerHost })) });

describe("anti-affinity index", () => {
  test("a group's own rule counts the named job's groups", () => {
    const ix = new AntiAffinityIndex();
    ix.set(g("db-1", "db"));
    ix.set(g("db-2", "db"));
    ix.set(g("web-1", "web", [["db", 0]]));
    expect(ix.rulesFor(g("web-1", "web", [["db", 0]]))).toEqual([{ holders: [], counted: ["db-1", "db-2"], maxPerHost: 0 }]);
  });

  test("the reverse: placing B is limited by every other group whose rules name B", () => {
    const ix = new AntiAffinityIndex();
    ix.set(g("web-1", "web", [["db", 1]]));
    ix.set(g("api-1", "api", [["db", 0]]));
    ix.set(g("db-1", "db"));
    expect(ix.rulesFor(g("db-1", "db"))).toEqual([
      { holders: ["web-1"], counted: ["db-1"], maxPerHost: 1 },
      { holders: ["api-1"], counted: ["db-1"], maxPerHost: 0 },
    ]);
  });

  test("a rule naming its own job counts the group itself; a group not indexed yet (plan) is counted too", () => {
    const ix = new AntiAffinityIndex();
    ix.set(g("db-1", "db"));
    expect(ix.rulesFor(g("db-2", "db", [["db", 2]]))).toEqual([{ holders: [], counted: ["db-1", "db-2"], maxPerHost: 2 }]);
  });

  test("rules name jobs of the same user only", () => {
    const ix = new AntiAffinityIndex();
    ix.set(g("db-1", "db", [], "alice"));
    ix.set(g("web-1", "web", [["db", 0]], "bob"));
    expect(ix.rulesFor(g("web-1", "web", [["db", 0]], "bob"))).toEqual([{ holders: [], counted: [], maxPerHost: 0 }]);
    expect(ix.rulesFor(g("db-1", "db", [], "alice"))).toEqual([]);
  });

  test("a job named twice keeps the smallest limit; a removed or replaced group's rules go", () => {
    const ix = new AntiAffinityIndex();
    ix.set(g("web-1", "web", [["db", 3], ["db", 1]]));
    expect(ix.rulesFor(g("db-1", "db"))).toEqual([{ holders: ["web-1"], counted: ["db-1"], maxPerHost: 1 }]);
    ix.set(g("web-1", "web", [["cache", 0]]));
    expect(ix.rulesFor(g("db-1", "db"))).toEqual([]);
    ix.set(g("db-1", "db"));
    ix.delete("db-1");
    expect(ix.rulesFor(g("web-2", "web", [["db", 0]]))).toEqual([{ holders: [], counted: [], maxPerHost: 0 }]);
  });

  test("a group without a name can hold rules but no rule can name it", () => {
    const ix = new AntiAffinityIndex();
    ix.set(g("x", "", [["db", 0]]));
    ix.set(g("db-1", "db"));
    expect(ix.rulesFor(g("db-1", "db"))).toEqual([{ holders: ["x"], counted: ["db-1"], maxPerHost: 0 }]);
    expect(ix.rulesFor(g("y", ""))).toEqual([]);
  });
});
