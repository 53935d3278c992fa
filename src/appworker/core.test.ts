import { describe, expect, test } from "bun:test";
import { backoff, decide, describeExit, onTaskExit, podState, workerState, type WorkerPosition } from "./core.ts";

const policy = { attempts: 3, delay: 1000, maxDelay: 5000 };

describe("appworker core", () => {
  test("pod state from tasks", () => {
    expect(podState([{ state: "running", exitCode: -1, healthy: true }], "service")).toBe("running");
    expect(podState([{ state: "running", exitCode: -1, healthy: false }], "service")).toBe("starting");
    expect(podState([{ state: "failed", exitCode: 3, healthy: false }], "service")).toBe("failed");
    expect(podState([{ state: "exited", exitCode: 0, healthy: false }], "batch")).toBe("finished");
    expect(podState([{ state: "exited", exitCode: 0, healthy: false }, { state: "running", exitCode: -1, healthy: true }], "batch")).toBe("running");
  });

  test("worker state: stopping/terminated, deploying while busy, failed after a failed operation, pending without a plan", () => {
    const base = { terminating: false, anyTaskAlive: true, busy: false, failure: "", hasPlan: true, tasks: [{ state: "running" as const, exitCode: -1, healthy: true }], jobType: "service" as const };
    expect(workerState(base)).toBe("running");
    expect(workerState({ ...base, terminating: true })).toBe("stopping");
    expect(workerState({ ...base, terminating: true, anyTaskAlive: false })).toBe("terminated");
    expect(workerState({ ...base, busy: true })).toBe("deploying");
    expect(workerState({ ...base, failure: "deploy of version 2 failed: x" })).toBe("failed");
    expect(workerState({ ...base, hasPlan: false, tasks: [] })).toBe("pending");
  });

  describe("deciding what a command asks", () => {
    const at = (over: Partial<WorkerPosition> = {}): WorkerPosition => ({ planVersion: 1, failedVersion: 0, busy: false, opId: "", ...over });
    test.each([
      ["start", 1, "", at({ planVersion: 0 }), "deploy"],
      ["start", 1, "", at(), "none"],
      ["rebuild", 2, "", at(), "deploy"],
      ["reload", 2, "", at(), "reload"],
      ["reload", 2, "", at({ planVersion: 0 }), "deploy"],
      ["rebuild", 2, "", at({ busy: true }), "none"],
      ["rebuild", 2, "", at({ failedVersion: 2 }), "none"],
      ["rebuild", 1, "", at({ failedVersion: 2 }), "clear-failure"],
      ["reload", 1, "", at({ failedVersion: 1 }), "none"],
      ["rebuild", 1, "recover-5", at(), "deploy"],
      ["rebuild", 1, "recover-5", at({ opId: "recover-5" }), "none"],
      ["terminate", 0, "", at({ busy: true }), "terminate"],
      ["none", 0, "", at(), "none"],
      ["suspend", 0, "", at(), "none"],
    ])("%s v%d op %s -> ", (command, version, opId, pos, kind) => {
      expect(decide(command, version, opId, pos).kind).toBe(kind as ReturnType<typeof decide>["kind"]);
    });
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
    expect(describeExit(null, "SIGKILL", { oom: true, memoryLimit: 64 * 1024 * 1024 })).toBe("killed: out of memory (limit 64M)");
    expect(describeExit(null, "SIGKILL", { oom: true })).toBe("killed: out of memory");
    expect(describeExit(null, "SIGKILL", { oom: false, memoryLimit: 64 * 1024 * 1024 })).toBe("killed by SIGKILL");
    expect(describeExit(null, "SIGSEGV", { core: true })).toBe("killed by SIGSEGV (core dumped)");
    expect(describeExit(null, "SIGTERM")).toBe("killed by SIGTERM");
  });
});
