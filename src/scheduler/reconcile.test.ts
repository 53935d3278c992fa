import { describe, expect, test } from "bun:test";
import { computeMoves, type MoveCandidate, type MoveGroup } from "./reconcile.ts";

const c = (id: string, agent: string, online: boolean): MoveCandidate => ({ id, group: id.split(".")[0]!, agent, online });

describe("computeMoves", () => {
  const rows: { name: string; cands: MoveCandidate[]; groups: [string, MoveGroup][]; move: string[]; wait: string[] }[] = [
    { name: "batch moves all at once", cands: [c("b.0", "x", false), c("b.1", "x", false)], groups: [["b", { step: 1, missing: 0 }]], move: ["b.0", "b.1"], wait: [] },
    { name: "services wait for batch on the same agent", cands: [c("b.0", "x", false), c("s.0", "x", true)], groups: [], move: ["b.0"], wait: ["s.0"] },
    { name: "batch on another agent does not hold a service", cands: [c("b.0", "y", false), c("s.0", "x", true)], groups: [], move: ["s.0", "b.0"], wait: [] },
    { name: "one service container per step", cands: [c("s.0", "x", true), c("s.1", "x", true), c("s.2", "x", true)], groups: [["s", { step: 2, missing: 0 }]], move: ["s.0", "s.1"], wait: ["s.2"] },
    { name: "missing containers use up the step", cands: [c("s.0", "x", true)], groups: [["s", { step: 1, missing: 1 }]], move: [], wait: ["s.0"] },
    { name: "step 0 counts as 1", cands: [c("s.0", "x", true), c("s.1", "x", true)], groups: [["s", { step: 0, missing: 0 }]], move: ["s.0"], wait: ["s.1"] },
    { name: "groups have separate budgets", cands: [c("s.0", "x", true), c("t.0", "x", true)], groups: [], move: ["s.0", "t.0"], wait: [] },
  ];
  for (const r of rows) {
    test(r.name, () => {
      expect(computeMoves(r.cands, new Map(r.groups))).toEqual({ move: r.move, wait: r.wait });
    });
  }
});
