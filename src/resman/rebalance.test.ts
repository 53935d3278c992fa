import { describe, expect, test } from "bun:test";
import { setAgentAdmin } from "./core-admin.ts";
import { drainStatus } from "./core-moves.ts";
import { applyRebalance, planRebalance, rebalanceReason } from "./rebalance.ts";
import { cluster, group, reportAll, where } from "./test-fixtures.ts";
import { containerInfo } from "./views.ts";

const clock = () => { let t = 0; return () => (t += 1); }; // every look at the clock is 1 ms later
const turn = () => Promise.resolve();

/** web: 4 services of 1 core bin-packed onto one 4-core agent (u = 1: far above the 0.5 target), running; 2 idle agents. */
function hot() {
  const core = cluster(["a", "b", "c"]);
  core.createGroup(group("web", 4, "service", { spread: false, score: "binpack" }), 1);
  core.tick(2);
  const from = core.placement.get("web.0")!.agent;
  expect(Object.values(where(core, "web"))).toEqual([from, from, from, from]);
  reportAll(core, 3);
  return { core, from };
}

describe("galaxy rebalance on ResMan's placement", () => {
  test("--plan finds moves off the overloaded agent and changes nothing", async () => {
    const { core, from } = hot();
    const plan = await planRebalance(core, { budgetMs: 200, maxMoves: 20, now: clock() }, turn);
    expect(plan.costBefore).toBeCloseTo(1 + 10 * (Math.exp(0.5) - 1), 6);
    expect(plan.costAfter).toBeLessThan(plan.costBefore);
    expect(plan.moves.length).toBeGreaterThan(0);
    for (const m of plan.moves) expect(m).toMatchObject({ group: "web", from });
    expect(plan.movable).toBe(4);
    for (const c of core.placement.ofGroup("web")) expect(c.move).toBe("");
  });

  test("apply marks the moves like a drain's, and the new copy lands on the agent the rebalancer chose", async () => {
    const { core, from } = hot();
    const plan = await planRebalance(core, { budgetMs: 200, maxMoves: 20, now: clock() }, turn);
    expect(applyRebalance(core, plan)).toBe(plan.moves.length);
    core.tick(4);
    const m = plan.moves[0]!;
    expect(containerInfo(core, core.placement.get(m.container)!)).toMatchObject({ move: rebalanceReason(m.to), state: "running" });
    expect(drainStatus(core, core.agents.get(from)!)).toContain("to move");
    core.rescheduleContainer(m.container, rebalanceReason(m.to)); // what AppMaster does, within the budget
    core.tick(5);
    expect(core.placement.get(m.container)!.agent).toBe(m.to);
    expect(core.placement.get(m.container)!.moveTo).toBe("");
    expect(core.placement.leavingCopy(m.container, from)).toBeDefined(); // make-before-break: the old copy still runs
  });

  test("containers that must stay are never moved: batch, and anything when every other agent drains", async () => {
    const core = cluster(["a", "b"]);
    core.createGroup(group("job", 4, "batch", { spread: false, score: "binpack" }), 1);
    core.tick(2);
    reportAll(core, 3);
    let plan = await planRebalance(core, { budgetMs: 100, maxMoves: 20, now: clock() }, turn);
    expect(plan.movable).toBe(0);
    expect(plan.moves).toEqual([]);
    const { core: c2, from } = hot();
    for (const other of ["a", "b", "c"].filter((x) => x !== from)) setAgentAdmin(c2, other, "draining");
    plan = await planRebalance(c2, { budgetMs: 100, maxMoves: 20, now: clock() }, turn);
    expect(plan.moves).toEqual([]);
  });

  test("a move whose target starts draining is called off: the mark goes, the container stays", async () => {
    const { core, from } = hot();
    const plan = await planRebalance(core, { budgetMs: 200, maxMoves: 1, now: clock() }, turn);
    applyRebalance(core, plan);
    const m = plan.moves[0]!;
    setAgentAdmin(core, m.to, "draining");
    core.tick(4);
    const c = core.placement.get(m.container)!;
    expect(c.move).toBe("");
    expect(c.moveTo).toBe("");
    expect(c.agent).toBe(from);
  });
});
