// A container's init, started for real (root): ready with the host pid of pid 1 of its namespace; a mount that fails
// is an exit status, not a hang; a worker spawned into it, and SIGTERM to its wrapper. No cgroup (no procs files).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive, signal, waitFor } from "../sys/proc.ts";
import { firstChild, hasInit, initAlive, readExitStatus, spawnWorker, startInit, stopTarget } from "./container-procs.ts";
import { type ContainerCheckpoint, EXIT_SETUP_FAILED } from "./core.ts";
import { INIT_READY_FILE, type MountPlan } from "./launch.ts";
import { capOf } from "./test-fixtures.ts";

const root = mkdtempSync(join(tmpdir(), "galaxy-procs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;
const env = { PATH: process.env.PATH!, GALAXY_CGROUP_PROCS: "" };

function container(name: string, namespaces: ContainerCheckpoint["namespaces"]): { cp: ContainerCheckpoint; plan: MountPlan } {
  const workspace = join(root, name, "containers", "c1");
  for (const d of [join(workspace, "logs"), join(workspace, ".galaxy"), join(root, name, "stage")]) mkdirSync(d, { recursive: true });
  const cp: ContainerCheckpoint = {
    id: "c1", cap: capOf("c1.0"), state: "creating", cgroup: "", workspace, pid: 0, pidStart: 0, startedAt: 0, message: "", exitCode: 0,
    workerRestarts: 0, namespaces,
  };
  return { cp, plan: { workspace, stage: join(root, name, "stage"), binds: [], cover: join(root, name), keep: [], hide: [], detach: [] } };
}

test("a container without namespaces has no init; one with namespaces is not alive before it is started", () => {
  expect(hasInit(container("plain", []).cp)).toBe(false);
  const { cp } = container("fresh", ["mount", "pid"]);
  expect([hasInit(cp), initAlive(cp)]).toEqual([true, false]);
});

describe.skipIf(!isRoot)("the init (root)", () => {
  test("ready: the host pid of pid 1 of the namespace; a worker entered into it stops on SIGTERM to its wrapper", async () => {
    const { cp, plan } = container("ok", ["mount", "uts", "pid"]);
    const r = await startInit(cp, plan, env);
    if (!r.ok) throw new Error(r.message);
    try {
      expect(readFileSync(`/proc/${r.pid}/status`, "utf8")).toMatch(/^NSpid:\s+\d+\s+1$/m);
      Object.assign(cp, { initPid: r.pid, initStart: r.start });
      expect(initAlive(cp)).toBe(true);
      const w = spawnWorker(cp, ["/bin/sh", "-c", 'trap "exit 4" TERM; touch up; sleep 100 > /dev/null 2>&1 & wait'], env);
      cp.pid = w.pid!;
      const exited = new Promise<number | null>((resolve) => w.on("exit", (code) => resolve(code)));
      expect(await waitFor(() => existsSync(join(cp.workspace, "up")), 5000)).toBe(true);
      expect(stopTarget(cp)).toBe(firstChild(cp.pid)!); // the wrapper, nsenter's child in the namespace
      signal(stopTarget(cp), "SIGTERM");
      expect(await exited).toBe(4);
      expect(readExitStatus(cp.workspace)).toBe(4);
      expect(isAlive(r.pid, r.start)).toBe(true); // the worker went; the namespaces stay
    } finally {
      signal(r.pid, "SIGKILL"); // (the agent kills the cgroup): pid 1 takes its namespace along
      expect(await waitFor(() => !isAlive(r.pid), 5000)).toBe(true);
    }
  });

  test("a mount that fails: the init's exit status, at once, and no ready file", async () => {
    const { cp, plan } = container("bad", ["mount", "pid"]);
    const r = await startInit(cp, { ...plan, binds: [{ source: join(root, "missing"), target: join(root, "t"), readonly: false }] }, env);
    expect(r).toMatchObject({ ok: false, code: EXIT_SETUP_FAILED, signal: null });
    expect(readFileSync(join(cp.workspace, "logs", "worker.log"), "utf8")).toContain("galaxy-init: cannot bind");
    expect(existsSync(join(cp.workspace, INIT_READY_FILE))).toBe(false);
  });
});
