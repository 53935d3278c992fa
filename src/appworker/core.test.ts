import { describe, expect, test } from "bun:test";
import { backoff, describeExit, onTaskExit, podState } from "./core.ts";

const policy = { attempts: 3, delay: 1000, maxDelay: 5000 };

describe("appworker core", () => {
  test("pod state from tasks", () => {
    expect(podState([{ state: "running", exitCode: -1, healthy: true }], "service")).toBe("running");
    expect(podState([{ state: "running", exitCode: -1, healthy: false }], "service")).toBe("starting");
    expect(podState([{ state: "failed", exitCode: 3, healthy: false }], "service")).toBe("failed");
    expect(podState([{ state: "exited", exitCode: 0, healthy: false }], "batch")).toBe("finished");
    expect(podState([{ state: "exited", exitCode: 0, healthy: false }, { state: "running", exitCode: -1, healthy: true }], "batch")).toBe("running");
  });

  test("restart decisions with back-off", () => {
    expect(onTaskExit("batch", 0, 0, policy)).toEqual({ kind: "done" });
    expect(onTaskExit("service", 0, 0, policy)).toEqual({ kind: "restart", delayMs: 1000 });
    expect(onTaskExit("service", 1, 2, policy)).toEqual({ kind: "restart", delayMs: 4000 });
    expect(onTaskExit("service", 1, 3, policy)).toEqual({ kind: "failed" });
    expect(backoff(10, policy)).toBe(5000);
  });

  test("exit descriptions", () => {
    expect(describeExit(3, null)).toBe("exited 3");
    expect(describeExit(null, "SIGKILL", { oom: true })).toBe("killed by SIGKILL (OOM)");
  });
});
