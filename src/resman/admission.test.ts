import { describe, expect, test } from "bun:test";
import { checkQuota, formatAmount, usageOf } from "./quotas.ts";
import { cluster, G, group } from "./test-fixtures.ts";
import { UserDirectory } from "./users.ts";

function users(): UserDirectory {
  const u = new UserDirectory([], []);
  u.addUser("root", true, "t", "s", 0);
  u.addUser("alice", false, "t", "s", 0);
  u.addUser("bob", false, "t", "s", 0);
  u.setGrant("alice", "default", ["submit", "update"], false);
  return u;
}

const quota = (over: Partial<{ millicores: number; memory: number; disk: number; ssd: number; replica: number }>) =>
  ({ user: "alice", millicores: 0, memory: 0, disk: 0, ssd: 0, replica: 0, ...over });

describe("admission: pools, grants, quotas", () => {
  test("a user with only submit: the same request again, or AppMaster's own changes to it, pass; a change of the job needs update", () => {
    const core = cluster(["a"], {}, users());
    core.users.setGrant("alice", "default", ["update"], true); // alice may submit only
    const g = group("web", 1, "service", { user: "alice" });
    core.createGroup(g, 1);
    core.createGroup(g, 2); // AppMaster's submit racing its own sync loop: not an update
    core.updateGroup({ ...g, blacklist: ["a:1"], released: ["web.0"], version: g.version + 1 }, 3);
    expect(() => core.updateGroup({ ...g, replica: 2 }, 4)).toThrow("user alice may not update in pool default");
  });

  test("a group naming a pool that does not exist is refused", () => {
    const core = cluster(["a"], {}, users());
    expect(() => core.createGroup(group("web", 1, "service", { user: "alice", pools: ["nope"] }), 1)).toThrow('no pool "nope"');
  });

  test("the group's user needs the grant on every pool; admins need none", () => {
    const core = cluster(["a"], {}, users());
    core.pools.add("gpu");
    expect(() => core.createGroup(group("web", 1, "service", { user: "bob" }), 1)).toThrow("user bob may not submit in pool default");
    expect(() => core.createGroup(group("web", 1, "service", { user: "alice", pools: ["default", "gpu"] }), 1)).toThrow("user alice may not submit in pool gpu");
    expect(() => core.createGroup(group("web", 1, "service", { user: "ghost" }), 1)).toThrow("user ghost does not exist");
    core.createGroup(group("web", 1, "service", { user: "root", pools: ["gpu"] }), 1);
    core.createGroup(group("mine", 1, "service", { user: "alice" }), 1);
    core.users.setGrant("alice", "default", ["update"], true);
    expect(() => core.scaleGroup("mine", 2, 2)).toThrow("user alice may not update in pool default");
  });

  test("create, update and scale are refused past a quota, naming the dimension and the numbers", () => {
    const core = cluster(["a"], {}, users());
    core.quotas.set("alice", quota({ millicores: 2500, replica: 10, memory: 3 * G }));
    core.createGroup(group("one", 2, "service", { user: "alice" }), 1);
    expect(() => core.createGroup(group("two", 1, "service", { user: "alice" }), 1)).toThrow(
      "quota of alice exceeded on cpu: would use 3 cores of 2.5 cores",
    );
    try {
      core.scaleGroup("one", 4, 2);
      throw new Error("not refused");
    } catch (e) {
      expect((e as { code: string; details: Record<string, string> }).code).toBe("QUOTA_EXCEEDED");
      expect((e as { details: Record<string, string> }).details).toMatchObject({ user: "alice", dimension: "cpu", wanted: "4 cores", limit: "2.5 cores" });
    }
    expect(() => core.updateGroup(group("one", 2, "service", { user: "alice", resources: { millicores: 100, memory: 2 * G, disk: 0, ssd: 0 } }), 3))
      .toThrow("quota of alice exceeded on memory: would use 4G of 3G");
    expect(core.groups.get("one")!.spec.replica).toBe(2); // nothing changed
  });

  test("shrinking is never refused, even over a lowered quota", () => {
    const core = cluster(["a"], {}, users());
    core.createGroup(group("one", 3, "service", { user: "alice" }), 1);
    core.quotas.set("alice", quota({ replica: 1 }));
    expect(() => core.scaleGroup("one", 2, 2)).not.toThrow();
    expect(() => core.scaleGroup("one", 3, 3)).toThrow("quota of alice exceeded on replica: would use 3 replicas of 1 replica");
  });

  test("sync after a failover re-admits nothing (requests were admitted once)", () => {
    const core = cluster(["a"], {}, users());
    core.quotas.set("alice", quota({ replica: 1 }));
    const { unknown } = core.syncGroups([group("old", 5, "service", { user: "alice" })], 1);
    expect(unknown).toEqual([]);
    expect(core.groups.get("old")!.spec.replica).toBe(5);
  });

  test("usage sums a user's groups; amounts read as people write them", () => {
    const specs = [group("a", 2, "service", { user: "alice" }), group("b", 1, "service", { user: "bob" })];
    expect(usageOf("alice", specs)).toEqual({ user: "alice", millicores: 2000, memory: 2 * G, disk: 0, ssd: 0, replica: 2 });
    expect(usageOf("alice", specs, "a").replica).toBe(0);
    expect(() => checkQuota(undefined, usageOf("alice", []), undefined, specs[0]!)).not.toThrow();
    expect([formatAmount("cpu", 1500), formatAmount("memory", 2 * G), formatAmount("replica", 1)]).toEqual(["1.5 cores", "2G", "1 replica"]);
  });
});
