// Anti-affinity through ResMan's core: a group's rules (GroupSpec.anti_affinity, naming jobs by GroupSpec.name) hold
// on every tick, the reverse too, `galaxy plan` names the reason, and a removed group's rules go with it.
import { describe, expect, test } from "bun:test";
import type { GroupSpec } from "../rpc/types.ts";
import { planGroup } from "./core-schedule.ts";
import { cluster, group } from "./test-fixtures.ts";

const job = (id: string, name: string, replica: number, rules: [string, number][] = [], over: Partial<GroupSpec> = {}): GroupSpec =>
  group(id, replica, "service", {
    name, antiAffinity: rules.map(([j, maxPerHost]) => ({ job: j, maxPerHost })), spread: false,
    resources: { millicores: 100, memory: 1024 ** 2, disk: 0, ssd: 0 }, ports: [], ...over,
  });
const agentsOf = (core: ReturnType<typeof cluster>, id: string) => core.placement.ofGroup(id).map((c) => c.agent).sort();

describe("anti-affinity in ResMan", () => {
  test("a job keeps away from the job it names, and the named job keeps away from it", () => {
    const core = cluster(["a", "b", "c"]);
    core.createGroup(job("db-1", "db", 1, [], { blacklist: ["b", "c"] }), 1);
    core.tick(2);
    expect(agentsOf(core, "db-1")).toEqual(["a"]);
    core.createGroup(job("web-1", "web", 2, [["db", 0]], { maxPerHost: 1 }), 3);
    core.tick(4);
    expect(agentsOf(core, "web-1")).toEqual(["b", "c"]);
    // the reverse: more db (of another group of job db) cannot go where web runs
    core.createGroup(job("db-2", "db", 3), 5);
    core.tick(6);
    expect(agentsOf(core, "db-2")).toEqual(["a", "a", "a"]);
  });

  test("plan says anti-affinity; the rules go when their group goes", () => {
    const core = cluster(["a", "b"]);
    core.createGroup(job("db-1", "db", 2, [], { maxPerHost: 1 }), 1);
    core.tick(2);
    const p = planGroup(core, job("", "web", 1, [["db", 0]]));
    expect(p).toMatchObject({ fit: 0, wanted: 1, lastError: "2 agents: anti-affinity" });
    core.createGroup(job("web-1", "web", 1, [["db", 1]]), 3);
    core.tick(4);
    expect(agentsOf(core, "web-1")).toHaveLength(1);
    // with web on one agent (allowing 1 db), a second db there would break web's rule
    expect(planGroup(core, job("", "db", 2, [], { maxPerHost: 1 }))).toMatchObject({ fit: 1, lastError: "1 agent: anti-affinity, 1: max_per_host" });
    core.removeGroup("web-1");
    expect(planGroup(core, job("", "db", 2, [], { maxPerHost: 1 })).fit).toBe(2);
  });

  test("rules name jobs of the same user only", () => {
    const core = cluster(["a"]);
    core.createGroup(job("db-1", "db", 1), 1);
    core.tick(2);
    expect(planGroup(core, job("", "web", 1, [["db", 0]], { user: "" })).fit).toBe(0);
    expect(planGroup(core, job("", "web", 1, [["db", 0]], { user: "system" })).fit).toBe(1);
  });
});
