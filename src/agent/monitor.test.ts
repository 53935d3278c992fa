// The monitor's glue: samples reach the OOM note, the cpu controller's ceilings reach the cgroup, memory pressure
// evicts, and a workspace over its size is warned, then killed. Fake driver, fake host, a stand-in container table.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CgroupDriver, CgroupUsage, Limits } from "./cgroup/driver.ts";
import type { ContainerManager } from "./containers.ts";
import type { ContainerCheckpoint } from "./core.ts";
import { Monitor } from "./monitor.ts";
import { capOf, MiB } from "./test-fixtures.ts";
import { UsageMeter, type HostSample } from "./usage.ts";

const dir = mkdtempSync(join(tmpdir(), "galaxy-monitor-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function world(caps: ReturnType<typeof capOf>[]) {
  const usage = new Map<string, CgroupUsage>();
  const updates: [string, Limits][] = [];
  const notes: [string, string][] = [];
  const failed: [string, string][] = [];
  const driver = {
    usage: (name: string) => usage.get(name)!,
    pids: () => [],
    update: (name: string, l: Limits) => void updates.push([name, l]),
  } as unknown as CgroupDriver;
  const held = new Map<string, ContainerCheckpoint>(
    caps.map((cap) => [cap.containerId, {
      id: cap.containerId, cap, state: "running", cgroup: `g/${cap.containerId}`, workspace: join(dir, cap.containerId), pid: 1,
      pidStart: 0, startedAt: 0, message: "", exitCode: 0, workerRestarts: 0, volumes: [],
    }]),
  );
  const manager = {
    held, usage: new UsageMeter(), gc: { sweep: () => 0 },
    note: (id: string, m: string) => {
      notes.push([id, m]);
      held.get(id)!.message = m;
    },
    save: () => {},
    fail: async (id: string, m: string) => void failed.push([id, m]),
  } as unknown as ContainerManager;
  const host: HostSample = { busy: 0, idle: 4000, cores: 4000, memory: { total: 64 << 30, available: 60 << 30, cache: 0 } };
  const monitor = new Monitor(manager, driver, { memory: 1024 * MiB, intervalMs: 1000, diskEveryMs: 1e9, diskGraceMs: 0, log: () => {}, host: { sample: () => host } });
  const set = (id: string, u: Partial<CgroupUsage>) =>
    usage.set(`g/${id}`, { cpuUsageUsec: 0, memoryRss: 0, memoryCache: 0, memoryLimit: 64 * MiB, oomKills: 0, pids: 1, ...usage.get(`g/${id}`), ...u });
  return { monitor, set, updates, notes, failed, host, held };
}

test("an OOM kill counted by the cgroup becomes the container's message", () => {
  const w = world([capOf("a.0")]);
  w.set("a.0", {});
  w.monitor.tick(0);
  w.set("a.0", { oomKills: 1 });
  w.monitor.tick(2000);
  expect(w.notes).toEqual([["a.0", "OOM killer: 1 process(es) killed at the memory limit of 64M"]]);
  w.monitor.tick(4000);
  expect(w.notes).toHaveLength(1);
});

test("a container at its pids limit is noted once, and the note cleared below it", () => {
  const w = world([capOf("p.0")]);
  w.set("p.0", { pids: 4095 });
  w.monitor.tick(0);
  expect(w.notes).toEqual([]);
  w.set("p.0", { pids: 4096 });
  w.monitor.tick(1000);
  w.monitor.tick(2000);
  expect(w.notes).toEqual([["p.0", "pids limit reached: 4096 of 4096 processes; no new process can start"]]);
  w.set("p.0", { pids: 10 });
  w.monitor.tick(3000);
  expect(w.notes.at(-1)).toEqual(["p.0", ""]);
});

test("a hungry excess container is given a higher cpu ceiling on an idle host", () => {
  const cap = capOf("b.0", { container: { ...capOf("x").container, cpuExcess: true } });
  const w = world([cap, capOf("plain.0")]);
  w.set("b.0", { cpuUsageUsec: 0 });
  w.set("plain.0", {});
  w.monitor.tick(0);
  w.set("b.0", { cpuUsageUsec: 1_000_000 }); // 500 millicores over 2 s: all of its ceiling
  w.monitor.tick(2000);
  expect(w.updates).toHaveLength(1);
  expect(w.updates[0]![0]).toBe("g/b.0");
  expect(w.updates[0]![1]).toMatchObject({ cpuExcess: true, cpuCeiling: 1500, millicores: 500 });
  expect(w.held.get("b.0")!.cpuCeiling).toBe(1500); // checkpointed: a restarted agent starts from it
});

test("memory pressure evicts the best-effort container, never the service", () => {
  const w = world([capOf("svc.0"), capOf("be.0", { jobType: "best-effort" })]);
  w.set("svc.0", { memoryRss: 600 * MiB });
  w.set("be.0", { memoryRss: 400 * MiB });
  w.monitor.tick(0);
  expect(w.monitor.pressure).toBe(true);
  expect(w.failed.map(([id]) => id)).toEqual(["be.0"]);
  expect(w.failed[0]![1]).toMatch(/^evicted: memory pressure/);
});

test("a workspace over its size is killed once the grace is over (grace 0 here)", async () => {
  const cap = capOf("d.0", { container: { ...capOf("x").container, workspaceSize: 1024 } });
  const w = world([cap]);
  w.set("d.0", {});
  writeFileSync(join(dir, "d.0"), Buffer.alloc(64 * 1024, 1)); // the "workspace" (a file is fine for du)
  await w.monitor.checkDisk(0);
  expect(w.failed).toHaveLength(1);
  expect(w.failed[0]![1]).toMatch(/^killed: workspace uses \d+K of its 1K for longer than 0s$/);
});
