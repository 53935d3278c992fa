// GroupSpec.released: a batch pod that finished gives its container back (AppMaster asks at once); ResMan revokes it,
// never places it again, and does not adopt it back from its agent's report while the agent destroys it.
import { expect, test } from "bun:test";
import { cluster, group, hb, reportAll, running } from "./test-fixtures.ts";

const small = { resources: { millicores: 100, memory: 64 * 1024 ** 2, disk: 0, ssd: 0 } };

test("a released container leaves its agent's caps and the placement; no other is placed for it; the replica stays", () => {
  const core = cluster(["a"]);
  core.createGroup(group("job", 3, "batch", small), 1);
  core.tick(2);
  reportAll(core, 3);
  const assigned = core.placement.load("a").assigned.memory;
  core.updateGroup(group("job", 3, "batch", { ...small, released: ["job.0"] }), 4);
  core.tick(5);
  expect(core.capsFor("a").map((c) => c.containerId).sort()).toEqual(["job.1", "job.2"]);
  expect(core.placement.get("job.0")).toBeUndefined();
  expect(core.placement.pending.size).toBe(0);
  expect(core.placement.load("a").assigned.memory).toBe(assigned - small.resources.memory);
  expect(core.groups.get("job")!.spec.replica).toBe(3);
  // the agent still reports it (it is being destroyed): not adopted back
  const reports = ["job.0", "job.1", "job.2"].map((id) => running({ containerId: id, groupId: "job", ports: [] }, 100, id === "job.0" ? "destroying" : "running"));
  core.heartbeat(hb("a", reports, 1, 1, core.agents.get("a")!.capsVersion), 6);
  core.tick(7);
  expect(core.placement.get("job.0")).toBeUndefined();
  expect(core.capsFor("a").map((c) => c.containerId).sort()).toEqual(["job.1", "job.2"]);
});
