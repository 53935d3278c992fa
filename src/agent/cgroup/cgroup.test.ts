// Runs the contract (contract.ts) against cgroup v1, cgroup v2 (cgroup.kill and freeze paths) and "none" on this
// host. Every cgroup lives under galaxy-test/<random>/ and is removed in afterAll; a cgroup2 hierarchy is mounted in a
// temp dir only when the host has none, and unmounted afterwards.

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ReadBack, procCgroupPaths, runCgroupContract } from "./contract.ts";
import { createDriver, readMounts } from "./detect.ts";
import { limitOrZero } from "./driver.ts";
import { NONE_MARKER, NoneDriver } from "./none.ts";
import { pollUntil, readIfExists, removeDir } from "./proc.ts";
import { V1Driver } from "./v1.ts";
import { V2Driver } from "./v2.ts";

const RUN = `galaxy-test/${crypto.randomUUID().slice(0, 8)}`;
const isRoot = process.getuid?.() === 0;
const mounts = readMounts();

/** "max" for the kernel's spellings of unlimited, else the number. */
function limitValue(raw: string | null): number | "max" {
  if (raw === null) throw new Error("limit file missing");
  const t = raw.trim().split(/\s+/)[0]!;
  return t === "max" || t === "-1" || limitOrZero(t) === 0 ? "max" : Number(t);
}

function inCgroup(pid: number, name: string, controllers: string[] | null): boolean {
  const lines = procCgroupPaths(pid).filter((l) =>
    controllers === null ? l.controllers === "" : l.controllers.split(",").some((c) => controllers.includes(c)),
  );
  return lines.length > 0 && lines.every((l) => l.path === `/${name}` || l.path.endsWith(`/${name}`));
}

// ---- cgroup v1 ----
let v1: V1Driver | null = null;
let v1Skip: string | undefined = isRoot ? undefined : "not root";
if (v1Skip === undefined) {
  try {
    v1 = createDriver("cgroup-v1", { mounts }) as V1Driver;
  } catch (e) {
    v1Skip = (e as Error).message;
  }
}
const v1Controllers = ["cpu", "cpuacct", "memory", "freezer", "pids", "blkio"].filter((c) => v1?.dir(c, "x") !== null);
const v1Read = (name: string): ReadBack => {
  const file = (c: string, f: string): string | null => readIfExists(join(v1!.dir(c, name)!, f));
  return {
    hardMemory: limitValue(file("memory", "memory.limit_in_bytes")),
    softMemory: limitValue(file("memory", "memory.soft_limit_in_bytes")),
    cpuQuotaUs: limitValue(file("cpu", "cpu.cfs_quota_us")),
    pidsMax: limitValue(file("pids", "pids.max")),
  };
};
runCgroupContract({
  label: "cgroup-v1",
  make: () => v1!,
  base: `${RUN}/v1`,
  skipAll: v1Skip,
  readLimits: v1Read,
  dirs: (name) => v1!.dirs(name),
  inCgroup: (pid, name) => inCgroup(pid, name, v1Controllers),
  skip: { limits: v1?.dir("pids", "x") === null ? "no v1 pids hierarchy" : undefined },
});

// ---- cgroup v2: the host's unified hierarchy, or one mounted here ----
// GALAXY_TEST_MOUNT_CGROUP2=1 exercises the temp-mount path on a host that has a cgroup2 mount.
let v2Root = process.env.GALAXY_TEST_MOUNT_CGROUP2 ? undefined : mounts.find((m) => m.version === 2)?.mountPoint;
let mountedHere: string | null = null;
if (v2Root === undefined && isRoot) {
  const dir = mkdtempSync(join(tmpdir(), "galaxy-cgroup2-"));
  if (Bun.spawnSync(["mount", "-t", "cgroup2", "none", dir]).exitCode === 0) v2Root = mountedHere = dir;
  else rmdirSync(dir);
}
const v2Skip = !isRoot ? "not root" : v2Root === undefined ? "no cgroup2 hierarchy and mounting one failed" : undefined;
const v2 = v2Root === undefined ? null : new V2Driver({ root: v2Root });
const v2Has = (c: string): boolean => v2?.controllers().includes(c) ?? false;
const v2Missing = (cs: string[]): string | undefined => {
  const missing = cs.filter((c) => !v2Has(c));
  return missing.length === 0 ? undefined : `cgroup2 at ${v2Root} offers no ${missing.join("/")} controller (bound to v1 on this host)`;
};
const v2Read = (name: string): ReadBack => {
  const file = (f: string): string | null => readIfExists(join(v2!.dir(name), f));
  return {
    hardMemory: limitValue(file("memory.max")),
    softMemory: limitValue(file("memory.high")),
    cpuQuotaUs: limitValue(file("cpu.max")),
    pidsMax: limitValue(file("pids.max")),
  };
};
const v2Target = {
  make: () => v2!,
  skipAll: v2Skip,
  readLimits: v2Read,
  dirs: (name: string) => v2!.dirs(name),
  inCgroup: (pid: number, name: string) => inCgroup(pid, name, null),
  skip: { limits: v2Missing(["cpu", "memory", "pids"]), memory: v2Missing(["memory"]), oom: v2Missing(["memory"]) },
};
runCgroupContract({ ...v2Target, label: "cgroup-v2", base: `${RUN}/v2` });
runCgroupContract({
  ...v2Target,
  label: "cgroup-v2 (freeze + SIGKILL instead of cgroup.kill)",
  make: () => new V2Driver({ root: v2Root!, useKillFile: false }),
  base: `${RUN}/v2-freeze`,
  only: ["kill", "remove-busy"],
});

// ---- none ----
runCgroupContract({
  label: "none",
  make: () => new NoneDriver({ reason: "test" }),
  base: `${RUN}/none`,
  skip: {
    limits: "no cgroup: limits are not enforced",
    oom: "no cgroup: no memory limit to hit",
  },
});

test("none: addProcess refuses a process that does not lead its own group (its kill would hit our group)", async () => {
  const d = new NoneDriver();
  await d.create(`${RUN}/none-guard`, { millicores: 100, cpuExcess: false, memory: 1 << 20, memoryExcess: false });
  const p = Bun.spawn(["sleep", "1000"], { stdio: ["ignore", "ignore", "ignore"] }); // shares our process group
  try {
    expect(() => d.addProcess(`${RUN}/none-guard`, p.pid)).toThrow(/not a process-group leader/);
    expect(() => d.addProcess(`${RUN}/missing`, p.pid)).toThrow(/no cgroup/);
  } finally {
    p.kill("SIGKILL");
    await p.exited;
  }
});

afterAll(async () => {
  // Each suite removed its own base; drop the run's parent, then galaxy-test itself only if no other run uses it.
  const dirs = [...(v1?.hierarchies() ?? []), ...(v2Root ? [v2Root] : [])];
  if (v1) await v1.remove(RUN);
  if (v2) await v2.remove(RUN);
  for (const h of dirs) await removeDir(join(h, "galaxy-test"));
  if (mountedHere !== null) {
    Bun.spawnSync(["umount", mountedHere]);
    rmdirSync(mountedHere);
  }
});

test("none: a process that left the group (its own session) but carries the container's marker is still a member", async () => {
  const d = new NoneDriver();
  const name = `${RUN}/none-marker`;
  await d.create(name, { millicores: 100, cpuExcess: false, memory: 1 << 20, memoryExcess: false });
  const p = Bun.spawn(["sleep", "1000"], { detached: true, stdio: ["ignore", "ignore", "ignore"], env: { [NONE_MARKER]: name } });
  try {
    await pollUntil(() => d.pids(name).includes(p.pid), Date.now() + 5000);
    expect(d.pids(name)).toEqual([p.pid]);
    await d.kill(name);
    expect(await p.exited).not.toBe(0);
  } finally {
    p.kill("SIGKILL");
  }
});
