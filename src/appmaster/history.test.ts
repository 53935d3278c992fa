import { describe, expect, test } from "bun:test";
import { AppMasterCore } from "./core.ts";
import { spec } from "./fixtures.ts";
import { formatDiff, podChanges, specDiff, specOfVersion } from "./history.ts";

const T0 = 1_790_000_000_000;

describe("a job's versions", () => {
  test("submit is version 1; an update records who, when and which paths changed; scale keeps the replica on rollback", () => {
    const core = new AppMasterCore(1, [], T0);
    const id = core.submit(spec(), "alice", T0, "0001").job.id;
    core.update(id, spec({ pkg: "2" }), 0, T0 + 1000, "bob");
    const h = core.jobs.get(id)!.history!;
    expect(h.map((v) => [v.version, v.user, v.at])).toEqual([[1, "alice", T0], [2, "bob", T0 + 1000]]);
    expect(h[0]!.change).toBe("created");
    expect(h[1]!.change).toBe("rebuild: pod.tasks.main.package.source, pod.tasks.main.package.version");
    core.scale(id, 5, T0 + 2000);
    const v1 = specOfVersion(core.jobs.get(id)!, 1)!;
    expect(v1.pod.tasks[0]!.package!.version).toBe("1");
    expect(v1.deploy.replica).toBe(5);
    expect(specOfVersion(core.jobs.get(id)!, 9)).toBeNull();
  });

  test("rollback --to N returns to version N's description, in place, and is recorded; unknown N is refused", () => {
    const core = new AppMasterCore(1, [], T0);
    const id = core.submit(spec(), "alice", T0, "0001").job.id;
    core.update(id, spec({ pkg: "2" }), 0, T0 + 1, "alice");
    core.updateAction(id, "cancel", 0, T0 + 2);
    core.update(id, spec({ pkg: "3" }), 0, T0 + 3, "alice");
    core.updateAction(id, "cancel", 0, T0 + 4);
    const { job } = core.updateAction(id, "rollback", 0, T0 + 5, "carol", 1);
    expect(job.version).toBe(1);
    expect(job.spec.pod.tasks[0]!.package!.version).toBe("1");
    expect(job.rollout).toMatchObject({ fromVersion: 3, toVersion: 1, rollback: true, kind: "rebuild", state: "active" });
    expect(job.history!.at(-1)).toMatchObject({ version: 1, user: "carol" });
    expect(job.history!.at(-1)!.change).toStartWith("rollback to 1: ");
    expect(() => core.updateAction(id, "rollback", 0, T0 + 6, "carol", 7)).toThrow(/has no version 7/);
  });

  test("names are unique per user: a second submit of the name is refused and points to apply", () => {
    const core = new AppMasterCore(1, [], T0);
    core.submit(spec(), "alice", T0, "0001");
    expect(() => core.submit(spec(), "alice", T0, "0002")).toThrow(/job web exists .*galaxy apply -f FILE/);
    expect(core.submit(spec(), "bob", T0, "0003").job.user).toBe("bob");
    const batch = core.submit({ ...spec({ type: "batch" }), name: "once" }, "alice", T0, "0004").job;
    core.jobs.set(batch.id, { ...batch, state: "finished" });
    expect(() => core.submit({ ...spec({ type: "batch" }), name: "once" }, "alice", T0, "0005")).toThrow(`job once (${batch.id}) has finished; remove it`);
  });
});

describe("diff and what each pod gets", () => {
  test("the diff names tasks by name and shows old and new values", () => {
    const lines = formatDiff(specDiff(spec(), spec({ start: "exec ./app/run2", replica: 4 })));
    expect(lines).toEqual([
      "- deploy.replica: 3", "+ deploy.replica: 4",
      '- pod.tasks.main.start: "exec ./app/run"', '+ pod.tasks.main.start: "exec ./app/run2"',
    ]);
    expect(specDiff(spec(), spec())).toEqual([]);
  });

  test("in place, recreate, scale up and down per pod", () => {
    expect(podChanges("j", "rebuild", 2, 3)).toEqual([
      { pod: "j.0", action: "rebuild in place" }, { pod: "j.1", action: "rebuild in place" }, { pod: "j.2", action: "new (scale up)" },
    ]);
    expect(podChanges("j", "recreate", 2, 1).map((p) => p.action)).toEqual(["recreate (new container)", "remove (scale down)"]);
    expect(podChanges("j", "policy", 1, 1).map((p) => p.action)).toEqual(["unchanged"]);
  });
});
