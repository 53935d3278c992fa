import { describe, expect, test } from "bun:test";
import { job } from "./fixtures.ts";
import { healthyCount, jobStatus, type StatusPod } from "./job-status.ts";
import type { JobRecord } from "./jobs.ts";

function sp(over: Partial<StatusPod> = {}, gaveUp = false): StatusPod {
  return { state: "running", healthy: true, lastError: "", restarts: 0, ...over, gaveUp };
}
const healthy = () => sp();
const starting = () => sp({ state: "starting", healthy: false, lastError: "main: health check not passing" });
const pending = (lastError = "") => sp({ state: "pending", healthy: false, lastError });

describe("job status from its pods", () => {
  test("running: healthy pods reach replica", () => {
    expect(jobStatus(job({ replica: 2 }), [healthy(), healthy()])).toBe("running");
  });

  test("deploying: the first deploy, every pod on its way (placed, deploying, starting for the first time)", () => {
    expect(jobStatus(job({ replica: 3 }), [healthy(), starting(), pending()])).toBe("deploying");
    expect(jobStatus(job({ replica: 3 }, "pending"), [])).toBe("deploying");
  });

  test("degraded: fewer healthy than replica with a pod in trouble, or after the job once ran whole", () => {
    const j = job({ replica: 3 });
    expect(jobStatus(j, [healthy(), healthy(), pending("2 agents: max_per_host")])).toBe("degraded");
    expect(jobStatus(j, [healthy(), healthy(), sp({ state: "failed", healthy: false })])).toBe("degraded");
    expect(jobStatus(j, [healthy(), healthy(), sp({ state: "lost", healthy: false })])).toBe("degraded");
    expect(jobStatus(j, [healthy(), healthy(), sp({ state: "starting", healthy: false, restarts: 2 })])).toBe("degraded");
    expect(jobStatus(j, [healthy(), healthy(), sp({ state: "running", healthy: false }, true)])).toBe("degraded");
    const ranWhole: JobRecord = { ...j, readyAt: 5 };
    expect(jobStatus(ranWhole, [healthy(), healthy(), pending()])).toBe("degraded");
  });

  test("failed: the failure policy gave up on every pod", () => {
    expect(jobStatus(job({ replica: 1 }), [pending("1 agent: blacklist")].map((p) => ({ ...p, gaveUp: true })))).toBe("failed");
    expect(jobStatus(job({ replica: 2 }), [sp({ state: "failed", healthy: false }, true), sp({ state: "failed", healthy: false }, false)])).toBe("degraded");
  });

  test("a finished batch job: finished, failed, or finished with failures", () => {
    const done = (succeeded: number, failed: number): JobRecord => ({ ...job({ type: "batch", replica: succeeded + failed }, "finished"), result: { succeeded, failed } });
    expect(jobStatus(done(3, 0), [])).toBe("finished");
    expect(jobStatus(done(0, 1), [])).toBe("failed");
    expect(jobStatus(done(2, 1), [])).toBe("finished with failures");
  });

  test("a running batch job counts finished pods as done; lifecycle states that say it all are kept", () => {
    const b = job({ type: "batch", replica: 2 });
    expect(healthyCount(b, [healthy(), sp({ state: "finished", healthy: false })])).toBe(2);
    expect(jobStatus(b, [healthy(), sp({ state: "finished", healthy: false })])).toBe("running");
    expect(healthyCount(job({ replica: 2 }), [healthy(), sp({ state: "finished", healthy: false })])).toBe(1);
    for (const state of ["updating", "update_paused", "destroying"] as const) expect(jobStatus(job({ replica: 1 }, state), [pending("x")])).toBe(state);
  });
});
