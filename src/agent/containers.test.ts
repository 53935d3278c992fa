// ContainerManager with real processes, a stand-in worker (a shell), and an in-memory store that survives a simulated
// agent restart; run with the host's isolation (cgroup v1, and namespaces, as root) and with none (process groups).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openMemoryStore, type Store } from "../store/index.ts";
import { isAlive, waitFor } from "../sys/proc.ts";
import type { CgroupDriver } from "./cgroup/driver.ts";
import { detectDriver, NoneDriver } from "./cgroup/index.ts";
import { prepareLayout } from "./container-fs.ts";
import { sweepLeftovers } from "./cleanup.ts";
import { ContainerManager, type ContainerManagerOptions } from "./containers.ts";
import { cgroupName, limitsOf } from "./core.ts";
import type { Namespace } from "./launch.ts";
import { capOf, MiB } from "./test-fixtures.ts";
import { isMountPoint } from "./volume-io.ts";

const isRoot = process.getuid?.() === 0;
const host = detectDriver();
suite(host.describe(), () => detectDriver());
if (host.kind !== "none") suite("isolation: none", () => new NoneDriver({ reason: "test" }));

function suite(label: string, makeDriver: () => CgroupDriver): void {
  const driver = makeDriver();
  const dataDir = mkdtempSync(join(tmpdir(), "galaxy-containers-"));
  const endpoint = `test-${process.pid}-${driver.kind}:1`;
  const key = endpoint.replace(/[^A-Za-z0-9.-]/g, "_");
  const logs: string[] = [];
  const managers: ContainerManager[] = [];

  afterAll(async () => {
    // an empty cap set first: a container destroyed while still granted would be built again
    for (const m of managers) m.grant([]);
    for (const m of managers) {
      await waitFor(() => [...m.held.keys()].every((id) => m.held.get(id)!.state === "destroying") || m.held.size === 0, 15_000);
      for (const id of [...m.held.keys()]) await m.destroy(id);
      await waitFor(() => m.held.size === 0, 15_000);
    }
    await driver.remove(`galaxy/${key}`).catch(() => {});
    if (driver.list("galaxy").length === 0) await driver.remove("galaxy").catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A manager as an agent process would make it (a fresh driver each time, as after a restart). */
  function manager(store: Store, namespaces: Namespace[] = [], worker = ["/bin/sh", "-c", "echo up; exec sleep 1000"], d = driver, extra: Partial<ContainerManagerOptions> = {}): ContainerManager {
    const layout = { dataDir, agentKey: key, devices: [] };
    prepareLayout(layout);
    const m = new ContainerManager({
      endpoint, layout, driver: d, store, namespaces, workerEnv: {}, podToken: () => "token", stopGraceMs: 2000, gcDelayMs: 60_000,
      log: (msg) => logs.push(msg), worker, listening: () => new Set([29998]), ...extra,
    });
    managers.push(m);
    return m;
  }

  /** Running, with its wrapper alive and inside its worker's cgroup (outside the job's limits). */
  const running = (m: ContainerManager, id: string) =>
    waitFor(() => {
      const cp = m.held.get(id);
      return cp?.state === "running" && isAlive(cp.pid) && m.o.driver.pids(cp.workerCgroup ?? cp.cgroup).includes(cp.pid);
    }, 5000);

  describe(`containers (${label})`, () => {
    test("grant builds a running container in its cgroup; a revoked one is stopped, killed and removed", async () => {
      const m = manager(openMemoryStore());
      m.grant([capOf("web.0")]);
      expect(await running(m, "web.0")).toBe(true);
      const cp = m.held.get("web.0")!;
      if (driver.kind === "none") expect(driver.pids(cp.cgroup).length).toBeGreaterThan(0);
      else {
        // the worker is not charged to the pod: it sits in a sibling cgroup; the pod's (the job's limits) holds tasks only
        expect(cp.workerCgroup).toBe(`galaxy/${key}/_workers/web.0`);
        expect(driver.pids(cp.workerCgroup!)).toContain(cp.pid);
        expect(driver.pids(cp.cgroup)).toEqual([]);
        expect(driver.usage(cp.cgroup).memoryLimit).toBe(capOf("web.0").resources.memory);
      }
      expect(await waitFor(() => readFileSync(join(cp.workspace, "logs", "worker.log"), "utf8").includes("up"), 5000)).toBe(true);
      expect(m.reports(0)[0]).toMatchObject({ containerId: "web.0", state: "running", pid: cp.pid });
      m.grant([]);
      expect(await waitFor(() => !m.held.has("web.0"), 10_000)).toBe(true);
      expect(isAlive(cp.pid)).toBe(false);
      expect(driver.exists(cp.cgroup)).toBe(false);
      if (cp.workerCgroup) expect(driver.exists(cp.workerCgroup)).toBe(false);
      expect(existsSync(cp.workspace)).toBe(false);
      expect(readFileSync(join(m.workspaceOf("web.0")!.workspace, "logs", "worker.log"), "utf8")).toContain("up"); // moved aside, kept for the gc delay
      expect(m.table.get("web.0")).toBeUndefined();
    });

    test("a cgroup removal that hangs in the kernel holds neither the heartbeat's report nor another container's creation", async () => {
      // cgroup v1 rmdir can wait long on the kernel's cgroup lock: the agent must go on beating and building meanwhile
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const removing: string[] = [];
      const stuck = new Proxy(driver, {
        get: (t, k) => {
          if (k === "remove") return async (n: string) => (removing.push(n), await gate, t.remove(n));
          const v = Reflect.get(t, k, t);
          return typeof v === "function" ? v.bind(t) : v;
        },
      });
      const m = manager(openMemoryStore(), [], undefined, stuck);
      m.grant([capOf("hang.0")]);
      expect(await running(m, "hang.0")).toBe(true);
      m.grant([capOf("next.0")]); // hang.0 revoked: its removal never ends until released
      expect(await waitFor(() => removing.length > 0, 10_000)).toBe(true);
      // what a heartbeat does, while the removal hangs: refresh and report, at once
      const beats: string[] = [];
      const timer = setInterval(() => {
        m.refresh();
        beats.push(m.reports(Date.now()).map((r) => `${r.containerId}:${r.state}`).sort().join(","));
      }, 20);
      expect(await running(m, "next.0")).toBe(true);
      expect(await waitFor(() => beats.includes("hang.0:destroying,next.0:running"), 5000)).toBe(true);
      clearInterval(timer);
      release();
      expect(await waitFor(() => !m.held.has("hang.0"), 10_000)).toBe(true);
      expect(driver.exists(cgroupName(endpoint, "hang.0"))).toBe(false);
    });

    test("a worker killed while its cgroup's OOM killer struck is said to be out of memory, once", async () => {
      // the cgroup's counters as if the OOM killer had struck once (the rest is the real driver)
      const oom = new Proxy(driver, {
        get: (t, k) => {
          if (k === "usage") return (n: string) => ({ ...t.usage(n), oomKills: 1, memoryLimit: 64 * MiB });
          const v = Reflect.get(t, k, t);
          return typeof v === "function" ? v.bind(t) : v;
        },
      });
      const m = manager(openMemoryStore(), [], ["/bin/sh", "-c", "kill -9 $$"], oom);
      m.grant([capOf("oom.0")]);
      expect(await waitFor(() => m.held.get("oom.0")?.message.includes("out of memory") ?? false, 5000)).toBe(true);
      const cp = m.held.get("oom.0")!;
      expect(cp.message).toMatch(/^worker killed by (SIGKILL|signal 9): out of memory \(limit 64M\)$/);
      expect(cp.oomKills).toBe(1);
      // the counter did not move again: the next kill is only a kill
      const restarted = () => {
        m.refresh(); // a heartbeat: restarts the crashed worker once its back-off is over
        return /^worker killed by (SIGKILL|signal 9)$/.test(m.held.get("oom.0")?.message ?? "");
      };
      expect(await waitFor(restarted, 5000)).toBe(true);
      m.grant([]);
      expect(await waitFor(() => !m.held.has("oom.0"), 10_000)).toBe(true);
    });

    test("a cap granted again while its container is being destroyed is built once the old one is gone", async () => {
      const m = manager(openMemoryStore());
      m.grant([capOf("again.0", { grantedAt: 10 })]);
      expect(await running(m, "again.0")).toBe(true);
      const first = m.held.get("again.0")!.pid;
      m.grant([]); // moved off: destroying starts (SIGTERM, then the cgroup kill)
      expect(m.held.get("again.0")!.state).toBe("destroying");
      m.grant([capOf("again.0", { grantedAt: 20 })]); // placed back here before the destroy finished
      expect(await waitFor(() => m.held.get("again.0")?.cap.grantedAt === 20 && m.held.get("again.0")?.state === "running", 10_000)).toBe(true);
      expect(m.held.get("again.0")!.pid).not.toBe(first);
      expect(isAlive(first)).toBe(false);
    });

    test("a newer grant of a held container recreates it (a new generation: new resources)", async () => {
      const m = manager(openMemoryStore());
      m.grant([capOf("gen.0", { grantedAt: 10 })]);
      expect(await running(m, "gen.0")).toBe(true);
      const first = m.held.get("gen.0")!.pid;
      m.grant([capOf("gen.0", { grantedAt: 10 })]); // the same grant: untouched
      expect(m.held.get("gen.0")!.pid).toBe(first);
      m.grant([capOf("gen.0", { grantedAt: 30 })]);
      expect(await waitFor(() => m.held.get("gen.0")?.cap.grantedAt === 30 && m.held.get("gen.0")?.state === "running", 10_000)).toBe(true);
      expect(isAlive(first)).toBe(false);
    });

    test("--max-starting: one container starts at a time; the next waits (creating) until the worker before it is up", async () => {
      // the stand-in worker is up once it writes its state file, which it does when told (a file in its workspace)
      const worker = ["/bin/sh", "-c", "while [ ! -e go ]; do sleep 0.05; done; echo '{}' > .galaxy/worker.json; exec sleep 1000"];
      const m = manager(openMemoryStore(), [], worker, driver, { maxStarting: 1, waitWorkerUp: true });
      m.grant([capOf("gate.0"), capOf("gate.1")]);
      expect(await waitFor(() => m.held.get("gate.0")?.state === "running", 5000)).toBe(true);
      expect(m.held.get("gate.1")!.state).toBe("creating"); // its turn has not come: gate.0's worker is not up
      expect(existsSync(m.held.get("gate.1")!.workspace)).toBe(false); // nothing of it made yet
      writeFileSync(join(m.held.get("gate.0")!.workspace, "go"), "");
      expect(await waitFor(() => m.held.get("gate.1")?.state === "running", 5000)).toBe(true);
      writeFileSync(join(m.held.get("gate.1")!.workspace, "go"), "");
      m.grant([]); // gate.1 is still in its start (its worker not yet seen up): destroyed once that ends
      expect(await waitFor(() => m.held.size === 0, 15_000)).toBe(true);
    }, 30_000);

    test("a taken port fails the container at once, without a worker; its workspace outlives it for the gc delay", async () => {
      const m = manager(openMemoryStore());
      m.grant([capOf("port.0", { ports: [{ name: "http", port: 29998 }] })]);
      const cp = m.held.get("port.0")!;
      expect([cp.state, cp.pid, cp.message]).toEqual(["failed", 0, "placement failed: port 29998 (http) is already in use on this host"]);
      m.grant([]);
      expect(await waitFor(() => !m.held.has("port.0"), 5000)).toBe(true);
      expect(m.workspaceOf("port.0")).toEqual({ workspace: cp.workspace, owner: "alice" });
      expect(m.gc.sweep(Date.now())).toBe(0);
      expect(m.gc.sweep(Date.now() + 61_000)).toBe(1);
      expect(existsSync(cp.workspace)).toBe(false);
      expect(m.workspaceOf("port.0")).toBeNull();
    });

    test("after an agent restart: a live worker is re-adopted (same pid); when it dies, its recorded status says why and it starts again", async () => {
      const store = openMemoryStore();
      const first = manager(store, [], ["/bin/sh", "-c", "exec sleep 1000"]);
      first.grant([capOf("svc.0")]);
      expect(await running(first, "svc.0")).toBe(true);
      const pid = first.held.get("svc.0")!.pid;
      first.held.clear(); // kill -9 of the agent: it is gone, its workers are not
      const second = manager(store, [], undefined, makeDriver()); // the agent came back: same checkpoint, no children
      await second.recover();
      expect(second.held.get("svc.0")).toMatchObject({ state: "running", pid });
      expect(logs).toContain(`agent: re-adopted svc.0 (pid ${pid})`);
      // The worker's wrapper records its status; the new agent reads it when it finds the worker gone.
      // the worker is the wrapper's child that became `sleep` (not a command the wrapper runs on its way there)
      const children = () => readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ").filter(Boolean).map(Number);
      const worker = () => children().find((c) => readFileSync(`/proc/${c}/comm`, "utf8").trim() === "sleep") ?? 0;
      expect(await waitFor(() => worker() > 0, 5000)).toBe(true);
      process.kill(worker(), "SIGKILL");
      await waitFor(() => !isAlive(pid), 5000);
      second.refresh();
      expect(logs).toContain("agent: starting the worker of svc.0 again: worker killed by signal 9");
      expect(await running(second, "svc.0")).toBe(true); // restarted
      await second.destroy("svc.0");
    });

    test.skipIf(!isRoot)("task uids: one per container from the range, checkpointed (an agent restart keeps it), free after destroy; the workspace is root's, group the uid, 1770", async () => {
      const store = openMemoryStore();
      const opts = { taskUids: { min: 100200, max: 100201 }, dropPrivileges: true };
      const worker = ["/bin/sh", "-c", "env > .galaxy/env.txt; exec sleep 1000"];
      const m = manager(store, [], worker, driver, opts);
      m.grant([capOf("u.0"), capOf("u.1"), capOf("u.2")]);
      expect(await running(m, "u.0")).toBe(true);
      expect(await running(m, "u.1")).toBe(true);
      expect([m.held.get("u.0")!.taskUid, m.held.get("u.1")!.taskUid]).toEqual([100200, 100201]);
      expect(m.held.get("u.2")).toMatchObject({ state: "failed", message: "cannot create container: every task uid of 100200-100201 is in use" });
      const ws = m.held.get("u.0")!.workspace;
      expect(statSync(ws)).toMatchObject({ uid: 0, gid: 100200 });
      expect(statSync(ws).mode & 0o7777).toBe(0o1770);
      expect(statSync(join(ws, "logs"))).toMatchObject({ uid: 0, mode: expect.any(Number) });
      expect(statSync(join(ws, "logs")).mode & 0o777).toBe(0o755);
      expect(await waitFor(() => existsSync(join(ws, ".galaxy", "env.txt")) && readFileSync(join(ws, ".galaxy", "env.txt"), "utf8").includes("GALAXY_TASK_DROP"), 5000)).toBe(true);
      const env = readFileSync(join(ws, ".galaxy", "env.txt"), "utf8");
      expect(env).toContain("GALAXY_TASK_UID=100200\n");
      expect(env).toContain("GALAXY_TASK_DROP=1\n");
      expect(env).toContain(`GALAXY_MEMORY_LIMIT=${capOf("u.0").resources.memory}\n`);
      m.held.clear(); // kill -9 of the agent
      const m2 = manager(store, [], worker, makeDriver(), opts);
      await m2.recover();
      expect(m2.held.get("u.1")!.taskUid).toBe(100201);
      m2.grant([capOf("u.1")]);
      expect(await waitFor(() => !m2.held.has("u.0") && !m2.held.has("u.2"), 10_000)).toBe(true);
      m2.grant([capOf("u.1"), capOf("u.3")]);
      expect(await running(m2, "u.3")).toBe(true);
      expect(m2.held.get("u.3")!.taskUid).toBe(100200); // freed by u.0's destroy
      m2.grant([]);
      expect(await waitFor(() => m2.held.size === 0, 10_000)).toBe(true);
    });

    test.skipIf(driver.kind === "none")("at start, cgroups no checkpoint claims are removed, workers' too; a held container's stay", async () => {
      const own = `sweep-${process.pid}:1`; // an agent of its own: the sweep must not touch the other tests' containers
      const k = own.replace(/[^A-Za-z0-9.-]/g, "_");
      const m = manager(openMemoryStore(), [], undefined, driver, { endpoint: own });
      m.grant([capOf("kept.0")]);
      expect(await running(m, "kept.0")).toBe(true);
      const cp = m.held.get("kept.0")!;
      for (const g of [`galaxy/${k}/ghost.0`, `galaxy/${k}/_workers/ghost.0`]) await driver.create(g, limitsOf(capOf("ghost.0")));
      await sweepLeftovers(m, driver, { dataDir, agentKey: k, devices: [] }, (msg) => logs.push(msg));
      expect([driver.exists(`galaxy/${k}/ghost.0`), driver.exists(`galaxy/${k}/_workers/ghost.0`)]).toEqual([false, false]);
      expect([driver.exists(cp.cgroup), driver.exists(cp.workerCgroup!)]).toEqual([true, true]);
      expect(logs).toContain(`agent: removing leftover cgroup galaxy/${k}/_workers/ghost.0`);
      m.grant([]);
      expect(await waitFor(() => !m.held.has("kept.0"), 10_000)).toBe(true);
      await driver.remove(`galaxy/${k}`);
    }, 20_000);

    test("a worker that cannot be started again (its workspace went) fails the container, and the agent lives on", async () => {
      const m = manager(openMemoryStore());
      m.create(capOf("gone.0"));
      expect(await running(m, "gone.0")).toBe(true);
      const cp = m.held.get("gone.0")!;
      rmSync(join(cp.workspace, "logs"), { recursive: true, force: true });
      process.kill(cp.pid, "SIGKILL");
      expect(await waitFor(() => m.held.get("gone.0")?.state === "failed", 10_000)).toBe(true);
      expect(m.held.get("gone.0")!.message).toStartWith("cannot start its worker: ");
      await m.destroy("gone.0");
    }, 20_000);

    test("a container left half-created is cleaned up and built again", async () => {
      const store = openMemoryStore();
      const m1 = manager(store);
      m1.create(capOf("half.0"));
      expect(await running(m1, "half.0")).toBe(true); // built (creation is async): a destroy meanwhile would wait for it
      const cp = { ...m1.held.get("half.0")!, state: "creating" as const };
      await m1.destroy("half.0");
      store.writeSync((tx) => tx.put(store.table("containers"), "half.0", cp));
      const m2 = manager(store, [], undefined, makeDriver());
      await m2.recover();
      expect(await running(m2, "half.0")).toBe(true);
      await m2.destroy("half.0");
    });

    test.skipIf(!isRoot || driver.kind === "none")("namespaces: a worker restarted (killed, after an agent restart) enters its init's namespaces and finds its task; a dead init's are made again", async () => {
      // a stand-in for the appworker: takes the task of task.pid back when it is still there, else starts one
      const task = `p=$(cat task.pid 2>/dev/null); if [ "$(tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null)" = "sleep 1001 " ]; then echo adopted >> adopt.log;`
        + ` else sleep 1001 > /dev/null 2>&1 & echo $! > task.pid; echo started >> adopt.log; fi; exec sleep 1000`;
      const ns: Namespace[] = ["mount", "uts", "pid"];
      const store = openMemoryStore();
      const first = manager(store, ns, ["/bin/sh", "-c", task]);
      first.grant([capOf("re.0")]);
      expect(await running(first, "re.0")).toBe(true);
      const cp = first.held.get("re.0")!;
      const init = cp.initPid!;
      const history = () => readFileSync(join(cp.workspace, "adopt.log"), "utf8").trim().split("\n");
      const kids = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
      /** nsenter ─► the wrapper ─► the worker (now `sleep 1000`) */
      const worker = (m: ContainerManager) => kids(kids(m.held.get("re.0")!.pid)[0]!)[0] ?? 0;
      expect(await waitFor(() => existsSync(join(cp.workspace, "adopt.log")) && worker(first) > 0, 5000)).toBe(true);
      const taskPid = kids(worker(first))[0]!; // the task, as the host sees it
      expect(readFileSync(`/proc/${taskPid}/cmdline`, "utf8")).toBe("sleep\u00001001\u0000");
      process.kill(worker(first), "SIGKILL");
      expect(await waitFor(() => history().length === 2, 10_000)).toBe(true);
      expect(history()).toEqual(["started", "adopted"]);
      expect(logs).toContain("agent: starting the worker of re.0 again: worker killed by signal 9");
      expect([first.held.get("re.0")!.initPid, isAlive(taskPid)]).toEqual([init, true]);

      first.held.clear(); // kill -9 of the agent; the new one finds the init in its checkpoint
      const second = manager(store, ns, ["/bin/sh", "-c", task], makeDriver());
      await second.recover();
      const pid = second.held.get("re.0")!.pid;
      expect(logs).toContain(`agent: re-adopted re.0 (pid ${pid})`);
      expect(await waitFor(() => worker(second) > 0, 5000)).toBe(true);
      process.kill(worker(second), "SIGKILL");
      expect(await waitFor(() => !isAlive(pid), 5000)).toBe(true);
      // not its child: the wrapper's recorded status says why, and the heartbeat starts it again (after a back-off)
      expect(await waitFor(() => (second.refresh(), history().length === 3), 10_000)).toBe(true);
      expect(logs).toContain("agent: re.0: worker killed by signal 9; starting it again in 1000 ms");
      expect(history()[2]).toBe("adopted");
      expect(isAlive(taskPid)).toBe(true);

      process.kill(init, "SIGKILL"); // pid 1 gone: the kernel kills its namespace, task and worker with it
      expect(await waitFor(() => (second.refresh(), history().length === 4), 10_000)).toBe(true);
      expect(history()[3]).toBe("started");
      expect(logs).toContain(`agent: re.0: its init (pid ${init}) is gone; making its namespaces again`);
      const now = second.held.get("re.0")!;
      expect(now.initPid).not.toBe(init);
      expect(isAlive(now.initPid!)).toBe(true);
      expect(isAlive(taskPid)).toBe(false);
      await second.destroy("re.0");
      expect(isAlive(now.initPid!)).toBe(false);
      expect(driver.exists(now.cgroup)).toBe(false);
    }, 30_000);

    test.skipIf(!isRoot || driver.kind === "none")("namespaces: a tmpfs volume is a mount of its size, gone after destroy; SIGTERM reaches the worker", async () => {
      const m = manager(openMemoryStore(), ["mount", "uts", "pid"], ["/bin/sh", "-c", 'trap "exit 0" TERM; df -k "$GALAXY_VOLUME_GALAXY_UNIT_CACHE" > df.tmp && mv df.tmp df.txt; sleep 1000 & wait']);
      const cap = capOf("ns.0", { volumes: [{ path: "/galaxy-unit-cache", size: 8 * MiB, medium: "tmpfs", exclusive: false, readonly: false, persistent: false, sticky: false, retentionMs: 0 }] });
      m.grant([cap]);
      expect(await running(m, "ns.0")).toBe(true);
      const cp = m.held.get("ns.0")!;
      const host = cp.volumes![0]!.hostPath;
      expect(isMountPoint(host)).toBe(true);
      expect(await waitFor(() => existsSync(join(cp.workspace, "df.txt")), 5000)).toBe(true);
      expect(readFileSync(join(cp.workspace, "df.txt"), "utf8")).toMatch(/galaxy-volume\s+8192\s.*\/galaxy-unit-cache/);
      m.grant([]);
      expect(await waitFor(() => !m.held.has("ns.0"), 10_000)).toBe(true);
      expect(logs.some((l) => l.startsWith("agent: destroyed ns.0"))).toBe(true);
      expect(isMountPoint(host)).toBe(false);
      expect(existsSync("/galaxy-unit-cache")).toBe(false);
      expect(existsSync(cp.workspace)).toBe(false);
    });
  });
}
