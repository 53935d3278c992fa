import { describe, expect, test } from "bun:test";
import { fresh, job, OPTS, pod, pods } from "./fixtures.ts";
import { groupSpecOf, type JobRecord } from "./jobs.ts";
import { plan, type PodView } from "./planner.ts";
import { applyUpdateAction, startUpdate } from "./rollout.ts";
import { spec } from "./fixtures.ts";

/** Commands of a plan as "id:command" for the pods that got one. */
const cmds = (r: ReturnType<typeof plan>) =>
  [...r.commands].filter(([, c]) => c.command !== "none").map(([id, c]) => `${id.slice(6)}:${c.command}${c.version}`);

/** A fake world: workers obey at once (the commanded version runs on the next round). */
function obey(r: ReturnType<typeof plan>, ps: PodView[]): PodView[] {
  return ps.map((p) => {
    const c = r.commands.get(p.id);
    return c && c.command !== "none" && c.command !== "terminate" ? { ...p, version: c.version, state: "running" } : p;
  });
}

describe("deploy pacing", () => {
  test("step 1, no interval: one pod at a time, the next when the previous runs", () => {
    let j = job({ replica: 3 }, "running");
    let ps = fresh(3);
    let r = plan(j, ps, 1000, OPTS);
    expect(cmds(r)).toEqual(["0:start1"]);
    expect(r.job.step?.pods.map((s) => s.id)).toEqual(["web-1.0"]);
    // a report of deploying changes nothing
    ps[0] = { ...ps[0]!, version: 1, state: "deploying" };
    r = plan(r.job, ps, 1500, OPTS);
    expect(cmds(r)).toEqual(["0:start1"]);
    ps[0] = { ...ps[0]!, state: "running" };
    r = plan(r.job, ps, 2000, OPTS);
    expect(cmds(r)).toEqual(["1:start1"]);
    expect(r.events.map((e) => e.message)).toContain("step: web-1.1 deploying version 1");
    j = r.job;
    expect(j.step!.pods.length).toBe(1);
  });

  test("step 2 with an interval: steps of two, `interval` after the previous step settled", () => {
    let r = plan(job({ replica: 5, step: 2, interval: "10s" }), fresh(5), 0, OPTS);
    expect(cmds(r)).toEqual(["0:start1", "1:start1"]);
    let ps = obey(r, fresh(5));
    r = plan(r.job, ps, 5_000, OPTS); // both run: the step settles at 5 s
    expect(cmds(r)).toEqual([]);
    expect(r.job.step!.doneAt).toBe(5_000);
    expect(cmds(plan(r.job, ps, 14_999, OPTS))).toEqual([]);
    r = plan(r.job, ps, 15_000, OPTS);
    expect(cmds(r)).toEqual(["2:start1", "3:start1"]);
  });

  test("without an interval the window refills as pods settle (never more than step in flight)", () => {
    let r = plan(job({ replica: 4, step: 2 }), fresh(4), 0, OPTS);
    expect(cmds(r)).toEqual(["0:start1", "1:start1"]);
    const ps = fresh(4);
    ps[0] = { ...ps[0]!, version: 1, state: "running" };
    r = plan(r.job, ps, 100, OPTS);
    expect(cmds(r)).toEqual(["1:start1", "2:start1"]);
  });

  test("a fresh pod that crashed after starting frees its slot (its restart policy has it); an updated one does not", () => {
    let r = plan(job({ replica: 2 }), fresh(2), 0, OPTS);
    const ps = fresh(2);
    ps[0] = { ...ps[0]!, version: 1, state: "starting", restarts: 1 };
    r = plan(r.job, ps, 100, OPTS);
    expect(cmds(r)).toEqual(["1:start1"]);
    const u = startUpdate(job({ replica: 2 }), spec({ replica: 2, pkg: "2" }), 0, 0).job;
    r = plan(u, pods(2), 1, OPTS);
    const ups = pods(2);
    ups[0] = { ...ups[0]!, version: 2, state: "starting", restarts: 3 };
    expect(cmds(plan(r.job, ups, 2, OPTS))).toEqual(["0:rebuild2"]);
  });

  test("pods not yet reporting, placed nowhere or lost are not admitted", () => {
    const ps = [pod(0, { reported: false, version: 0, state: "deploying" }), pod(1, { agent: "", version: 0, state: "pending" }), pod(2, { version: 0, state: "pending", lostSince: 5 })];
    expect(cmds(plan(job(), ps, 10, OPTS))).toEqual([]);
  });
});

describe("rolling update in place", () => {
  const updated = (kind: "pkg" | "data", o: Parameters<typeof spec>[0] = {}) => {
    const j = job({ replica: 3, ...o });
    return startUpdate(j, spec({ replica: 3, ...o, ...(kind === "pkg" ? { pkg: "2" } : { data: "7" }) }), 0, 0).job;
  };

  test("rebuild one pod at a time, then the job runs again", () => {
    let j = updated("pkg");
    expect(j.state).toBe("updating");
    expect(j.version).toBe(2);
    let ps = pods(3);
    const seen: string[][] = [];
    for (let t = 1; t < 10 && j.state === "updating"; t++) {
      const r = plan(j, ps, t * 1000, OPTS);
      seen.push(cmds(r));
      ps = obey(r, ps);
      j = r.job;
    }
    expect(seen.slice(0, 3)).toEqual([["0:rebuild2"], ["1:rebuild2"], ["2:rebuild2"]]);
    expect(j.state).toBe("running");
    expect(j.rollout!.state).toBe("done");
    expect(ps.every((p) => p.version === 2)).toBe(true);
  });

  test("data packages only: reload, not rebuild", () => {
    const j = updated("data");
    expect(j.rollout!.kind).toBe("reload");
    expect(cmds(plan(j, pods(3), 1, OPTS))).toEqual(["0:reload2"]);
  });

  test("a pod in flight stays in flight until it runs the new version", () => {
    const j = updated("pkg");
    let r = plan(j, pods(3), 1, OPTS);
    const ps = pods(3);
    ps[0] = { ...ps[0]!, version: 2, state: "starting" };
    r = plan(r.job, ps, 2, OPTS);
    expect(cmds(r)).toEqual(["0:rebuild2"]);
  });

  test("update_break pauses after N pods; continue --break moves the point; continue runs to the end", () => {
    let j = updated("pkg", { updateBreak: 1 });
    let ps = pods(3);
    let r = plan(j, ps, 1, OPTS);
    ps = obey(r, ps);
    r = plan(r.job, ps, 2, OPTS);
    expect(r.job.state).toBe("update_paused");
    expect(r.job.message).toBe("paused at the break point: 1 of 3 pods run version 2");
    expect(cmds(plan(r.job, ps, 3, OPTS))).toEqual([]);
    j = applyUpdateAction(r.job, "continue", 1, 1, 4);
    expect(j.rollout!.breakAt).toBe(2);
    r = plan(j, ps, 5, OPTS);
    expect(cmds(r)).toEqual(["1:rebuild2"]);
    ps = obey(r, ps);
    r = plan(r.job, ps, 6, OPTS);
    expect(r.job.state).toBe("update_paused");
    r = plan(applyUpdateAction(r.job, "continue", 0, 2, 7), ps, 8, OPTS);
    expect(cmds(r)).toEqual(["2:rebuild2"]);
    r = plan(r.job, obey(r, ps), 9, OPTS);
    expect(r.job.state).toBe("running");
  });

  test("step 2: a break point is never overshot", () => {
    const j = startUpdate(job({ replica: 4, step: 2 }), spec({ replica: 4, step: 2, pkg: "2", updateBreak: 1 }), 0, 0).job;
    expect(cmds(plan(j, pods(4), 1, OPTS))).toEqual(["0:rebuild2"]);
  });

  test("pause keeps the pod in flight going but admits no more; continue resumes", () => {
    let r = plan(updated("pkg"), pods(3), 1, OPTS);
    const paused = applyUpdateAction(r.job, "pause", 0, 0, 2);
    let ps = obey(r, pods(3));
    r = plan(paused, ps, 3, OPTS);
    expect(cmds(r)).toEqual([]);
    expect(r.job.state).toBe("update_paused");
    r = plan(applyUpdateAction(r.job, "continue", 0, 1, 4), ps, 5, OPTS);
    expect(cmds(r)).toEqual(["1:rebuild2"]);
  });

  test("rollback rebuilds the updated pods back to the old version, in place", () => {
    let r = plan(updated("pkg"), pods(3), 1, OPTS);
    let ps = obey(r, pods(3));
    r = plan(r.job, ps, 2, OPTS); // pod 0 on v2, pod 1 admitted
    ps = obey(r, ps);
    const back = applyUpdateAction(r.job, "rollback", 0, 2, 3);
    expect(back.version).toBe(1);
    expect(back.spec.pod.tasks[0]!.package!.version).toBe("1");
    expect(back.prevSpec!.pod.tasks[0]!.package!.version).toBe("2");
    expect(back.rollout).toMatchObject({ rollback: true, fromVersion: 2, toVersion: 1, kind: "rebuild" });
    let j = back;
    const seen: string[] = [];
    for (let t = 4; t < 10 && j.state === "updating"; t++) {
      const rr = plan(j, ps, t, OPTS);
      seen.push(...cmds(rr));
      ps = obey(rr, ps);
      j = rr.job;
    }
    // pod 1 was in flight: its step entry now drives it to version 1; then pod 0
    expect(seen).toEqual(["1:rebuild1", "0:rebuild1"]);
    expect(j.state).toBe("running");
    expect(ps.map((p) => p.version)).toEqual([1, 1, 1]);
  });

  test("cancel: updated pods keep the new version, the rest are left alone", () => {
    let r = plan(updated("pkg"), pods(3), 1, OPTS);
    const ps = obey(r, pods(3));
    const j = applyUpdateAction(r.job, "cancel", 0, 1, 2);
    expect(j.state).toBe("running");
    r = plan(j, ps, 3, OPTS);
    expect(cmds(r)).toEqual([]);
    expect(ps.map((p) => p.version)).toEqual([2, 1, 1]);
  });

  test("an updated pod that fails pauses the update; its neighbours are not touched", () => {
    let r = plan(updated("pkg"), pods(3), 1, OPTS);
    const ps = pods(3);
    ps[0] = { ...ps[0]!, version: 2, state: "failed", lastError: "main: exited 3" };
    r = plan(r.job, ps, 2, OPTS);
    expect(r.job.state).toBe("update_paused");
    expect(r.job.message).toBe("paused: web-1.0 failed on version 2: main: exited 3");
  });

  test("an updated pod not running within deploy_timeout pauses the update", () => {
    let r = plan(updated("pkg", { deployTimeout: "30s" }), pods(3), 1000, OPTS);
    const ps = pods(3);
    ps[0] = { ...ps[0]!, version: 2, state: "deploying" };
    expect(plan(r.job, ps, 31_000, OPTS).job.state).toBe("updating");
    r = plan(r.job, ps, 31_001, OPTS);
    expect(r.job.state).toBe("update_paused");
    expect(r.job.message).toContain("not running version 2 after 30s (deploy_timeout)");
    expect(r.moves).toEqual([]);
  });

  test("recreate: the container is rescheduled, then the fresh pod gets start", () => {
    const j = startUpdate(job({ replica: 2 }), spec({ replica: 2, cpu: 200 }), 0, 0).job;
    expect(j.rollout!.kind).toBe("recreate");
    expect(groupSpecOf(j, 0).resources.millicores).toBe(200);
    let r = plan(j, pods(2), 1, OPTS);
    expect(cmds(r)).toEqual([]);
    expect(r.moves).toEqual([{ pod: "web-1.0", agent: "a0:1", reason: "recreating with the resources of version 2", blacklist: false, recreate: true }]);
    const moved: JobRecord = { ...r.job, step: { ...r.job.step!, pods: r.job.step!.pods.map((s) => ({ ...s, moved: true })) } };
    const ps = pods(2);
    ps[0] = { ...ps[0]!, agent: "a2:1", version: 0, state: "pending" };
    r = plan(moved, ps, 2, OPTS);
    expect(cmds(r)).toEqual(["0:start2"]);
    expect(r.moves).toEqual([]);
  });
});

describe("failure policy", () => {
  test("a fresh pod not running within deploy_timeout is moved and its agent blacklisted", () => {
    let r = plan(job({ replica: 1, deployTimeout: "10s" }), fresh(1), 0, OPTS);
    const ps = [pod(0, { version: 1, state: "deploying" })];
    r = plan(r.job, ps, 10_001, OPTS);
    expect(r.moves).toEqual([expect.objectContaining({ pod: "web-1.0", agent: "a0:1", blacklist: true })]);
    expect(r.job.blacklist).toEqual([{ agent: "a0:1", until: 310_001, reason: expect.stringContaining("deploy_timeout") }]);
    expect(groupSpecOf(r.job, 10_001).blacklist).toEqual(["a0:1"]);
    expect(groupSpecOf(r.job, 310_002).blacklist).toEqual([]);
    expect(r.job.moves["web-1.0"]).toEqual({ count: 1, agent: "a0:1" });
    // ResMan did not answer: the next round retries the move without counting it again
    r = plan(r.job, ps, 11_000, OPTS);
    expect(r.moves.map((m) => m.pod)).toEqual(["web-1.0"]);
    expect(r.job.moves["web-1.0"]!.count).toBe(1);
  });

  test("a failed pod moves to another agent at most maxMoves times, then stays failed", () => {
    const failed = (agent: string) => [pod(0, { agent, state: "failed", lastError: "main: exited 3; gave up after 2 restarts" })];
    let j = job({ replica: 1 });
    let r = plan(j, failed("a:1"), 1, OPTS);
    expect(r.moves.map((m) => m.reason)).toEqual(["failed on a:1: main: exited 3; gave up after 2 restarts"]);
    j = { ...r.job, moves: { "web-1.0": { count: 1, agent: "" } } }; // ResMan took it
    r = plan(j, failed("b:1"), 2, OPTS);
    expect(r.moves.length).toBe(1);
    j = { ...r.job, moves: { "web-1.0": { count: 2, agent: "" } } };
    r = plan(j, failed("c:1"), 3, OPTS);
    expect(r.moves).toEqual([]);
    expect(r.job.blacklist.map((b) => b.agent)).toEqual(["a:1", "b:1"]);
  });

  test("a lost pod is replaced after pod_lost_timeout, without blacklisting its agent", () => {
    const ps = [pod(0, { state: "lost", lostSince: 1000 })];
    expect(plan(job(), ps, 60_999, OPTS).moves).toEqual([]);
    const r = plan(job(), ps, 61_000, OPTS);
    expect(r.moves).toEqual([expect.objectContaining({ pod: "web-1.0", blacklist: false, reason: expect.stringContaining("pod_lost_timeout") })]);
    expect(r.job.blacklist).toEqual([]);
  });

  test("a pod not running on a blacklisted agent (ResMan put it back there) is moved again", () => {
    const j = { ...job(), blacklist: [{ agent: "a0:1", until: 1000, reason: "x" }] };
    expect(plan(j, [pod(0, { state: "deploying" })], 10, OPTS).moves.map((m) => m.reason)).toEqual(["not running on a0:1, which is on the job's blacklist"]);
    expect(plan(j, [pod(0)], 10, OPTS).moves).toEqual([]); // running there: left alone
    expect(plan(j, [pod(0, { state: "deploying" })], 1000, OPTS).moves).toEqual([]); // expired
  });

  test("a pod being recovered by the user is left alone", () => {
    expect(plan(job(), [pod(0, { state: "failed", busy: true })], 1, OPTS).moves).toEqual([]);
  });

  test("expired blacklist entries are dropped", () => {
    const j = { ...job(), blacklist: [{ agent: "a:1", until: 100, reason: "x" }, { agent: "b:1", until: 300, reason: "y" }] };
    expect(plan(j, pods(3), 200, OPTS).job.blacklist.map((b) => b.agent)).toEqual(["b:1"]);
  });
});

describe("batch", () => {
  test("finished when every pod finished or failed for good; every worker is told to terminate", () => {
    const j = job({ type: "batch", replica: 3 });
    const ps = pods(3, { state: "finished" });
    ps[2] = { ...ps[2]!, state: "failed" };
    expect(plan(j, ps, 1, OPTS).job.state).toBe("running"); // the failed one may still move
    const exhausted = { ...j, moves: { "web-1.2": { count: 2, agent: "" } } };
    const r = plan(exhausted, ps, 2, OPTS);
    expect(r.job.state).toBe("finished");
    expect(r.job.result).toEqual({ succeeded: 2, failed: 1 });
    expect(cmds(r)).toEqual(["0:terminate1", "1:terminate1", "2:terminate1"]);
    expect(groupSpecOf(r.job, 2).replica).toBe(0);
  });

  test("a pod that finished while others run releases its container at once (once), the replica count stays", () => {
    const j = job({ type: "batch", replica: 3 });
    const ps = [...pods(2, { state: "finished" }), pod(2, { state: "running" })];
    const r = plan(j, ps, 1, OPTS);
    expect(r.job.state).toBe("running");
    expect(r.job.released).toEqual(["web-1.0", "web-1.1"]);
    expect(r.events.filter((e) => e.kind === "released").map((e) => e.pod)).toEqual(["web-1.0", "web-1.1"]);
    const g = groupSpecOf(r.job, 1);
    expect(g.released).toEqual(["web-1.0", "web-1.1"]);
    expect(g.replica).toBe(3);
    // planned again: nothing new to release, no event again
    const again = plan(r.job, ps, 2, OPTS);
    expect(again.job.released).toEqual(["web-1.0", "web-1.1"]);
    expect(again.events.filter((e) => e.kind === "released")).toEqual([]);
    // the last one finishes: the job finishes and asks for nothing any more
    const done = plan(r.job, pods(3, { state: "finished" }), 3, OPTS);
    expect(done.job.state).toBe("finished");
    expect(groupSpecOf(done.job, 3)).toMatchObject({ replica: 0, released: [] });
  });

  test("a service's finished-looking pod releases nothing; an unreported one neither", () => {
    const svc = plan(job({ replica: 2 }, "running"), pods(2, { state: "finished" }), 1, OPTS);
    expect(svc.job.released).toEqual([]);
    const b = plan(job({ type: "batch", replica: 2 }), [...pods(1, { state: "finished", reported: false }), pod(1)], 1, OPTS);
    expect(b.job.released).toEqual([]);
    const unplaced = plan(job({ type: "batch", replica: 2 }), [pod(0, { state: "finished", agent: "" }), pod(1)], 1, OPTS);
    expect(unplaced.job.released).toEqual([]); // no hint places it: no container of its to give back
  });

  test("not finished while a pod is missing or still running", () => {
    const j = job({ type: "batch", replica: 3 });
    expect(plan(j, pods(2, { state: "finished" }), 1, OPTS).job.state).toBe("running");
    expect(plan(j, [...pods(2, { state: "finished" }), pod(2)], 1, OPTS).job.state).toBe("running");
  });
});
