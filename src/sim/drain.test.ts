// Drain on the deterministic simulation, with and without a master failing mid-drain: the service moves
// make-before-break (some copy of each of its pods serving at every 100 ms), the batch pod is rescheduled, and the
// cluster converges with the drained agent empty.
import { describe, expect, test } from "bun:test";
import { setAgentAdmin } from "../resman/core-admin.ts";
import { drainStatus } from "../resman/core-moves.ts";
import { running, strike, type Failure } from "./storms.ts";

const CASES: Failure[][] = [[], ["am-failover"], ["rm-failover"], ["rm-failover", "am-failover"], ["am-timeout"]];

describe("drain on the simulation", () => {
  for (const failures of CASES) {
    test(`drain of a1${failures.length ? ` with ${failures.join(" + ")} mid-drain` : ""}: every pod served throughout; converges with a1 empty`, () => {
      const { w } = running();
      expect(w.serving("service")).toBe(3);
      w.rm.persist(setAgentAdmin(w.rm.core!, "a1", "draining"));
      let fewest = 3;
      const orig = w.run.bind(w);
      const watch = (ms: number) => {
        const end = w.now + ms;
        while (w.now < end) (orig(100), (fewest = Math.min(fewest, w.serving("service"))));
      };
      w.run = watch;
      // strike once the first move is under way (a replacement placed, its old copy still held)
      const underWay = w.runUntil(() => (w.rm.core?.placement.leaving.size ?? 0) > 0, 30_000);
      expect(underWay).toBe(true);
      strike(w, failures);
      const done = w.runUntil(() => {
        fewest = Math.min(fewest, w.serving("service"));
        const core = w.rm.core;
        return !!core && w.converged() === null && core.placement.ofAgent("a1").length === 0 && w.node("a1").containers.size === 0;
      }, 120_000);
      w.run = orig;
      expect(w.converged()).toBeNull();
      expect(done).toBe(true);
      expect(drainStatus(w.rm.core!, w.rm.core!.agents.get("a1")!)).toBe("drained");
      expect(fewest).toBe(3); // make-before-break: some copy of every pod served at every step
    });
  }
});
