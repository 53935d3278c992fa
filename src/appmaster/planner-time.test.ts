// The planner's time rules (TIME_RULES): for each, a job and pods whose plan is quiet now and changes at the time the
// rule fires; nextDeadline must wake the plan by then (else AppMasterCore's plan cache keeps the quiet plan forever:
// a lost pod never replaced, an expired blacklist never lifted). The table must name every rule.
import { describe, expect, test } from "bun:test";
import { job, OPTS, pod, pods } from "./fixtures.ts";
import type { JobRecord } from "./jobs.ts";
import { nextDeadline, plan, TIME_RULES, type PodView } from "./planner.ts";

interface Case {
  /** The job and pods; `now` their plan is quiet at; `fires` the time the rule changes it. */
  job: JobRecord;
  pods: PodView[];
  now: number;
  fires: number;
}

const CASES: Record<string, Case> = {
  "blacklist expiry": { job: { ...job(), blacklist: [{ agent: "zz:1", until: 50_000, reason: "failed" }] }, pods: pods(3), now: 1_000, fires: 50_000 },
  "step deploy_timeout": {
    job: { ...job({ deployTimeout: "10s" }), step: { pods: [{ id: "web-1.0", action: "start", at: 1_000 }], startedAt: 1_000, doneAt: 0 } },
    pods: [pod(0, { state: "deploying", version: 0 }), pod(1), pod(2)], now: 2_000, fires: 11_001,
  },
  "pod_lost_timeout": { job: job(), pods: [pod(0, { lostSince: 1_000 }), pod(1), pod(2)], now: 2_000, fires: 1_000 + OPTS.podLostTimeout },
  "deploy_timeout after placement": {
    job: job({ deployTimeout: "10s" }), pods: [pod(0, { reported: false, state: "deploying", version: 0, placedAt: 1_000 }), pod(1), pod(2)],
    now: 2_000, fires: 11_001,
  },
  "step interval": {
    job: { ...job({ interval: "5s" }), step: { pods: [], startedAt: 0, doneAt: 1_000 } },
    pods: [pod(0), pod(1), pod(2, { state: "pending", version: 0 })], now: 2_000, fires: 6_000,
  },
};

const quiet = (j: JobRecord, ps: PodView[], now: number) => {
  const r = plan(j, ps, now, OPTS);
  return r.job === j && r.moves.length === 0 && r.events.length === 0;
};

/** The job as plan() leaves it at `now` once nothing more changes (readyAt and the like settle in a round or two). */
function settled(c: Case): JobRecord {
  let j = c.job;
  for (let i = 0; i < 3 && !quiet(j, c.pods, c.now); i++) j = plan(j, c.pods, c.now, OPTS).job;
  return j;
}

describe("time rules", () => {
  test("the table has a case for every rule of TIME_RULES", () => {
    expect(Object.keys(CASES).sort()).toEqual(TIME_RULES.map((r) => r.name).sort());
  });

  for (const [name, c] of Object.entries(CASES)) {
    test(`${name}: quiet now, different when it fires, and nextDeadline wakes the plan by then`, () => {
      const j = settled(c);
      expect(quiet(j, c.pods, c.now)).toBe(true);
      expect(quiet(j, c.pods, c.fires - 1)).toBe(true);
      expect(quiet(j, c.pods, c.fires)).toBe(false);
      expect(nextDeadline(j, c.pods, c.now, OPTS)).toBeLessThanOrEqual(c.fires);
    });
  }
});
