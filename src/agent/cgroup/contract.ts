// The one contract every CgroupDriver must keep (Hono's common.case.test.ts habit). cgroup.test.ts runs it against
// v1, v2 and none. Each case uses its own cgroup under `target.base`; afterAll kills every process the suite
// started and removes `target.base` even when a case failed. Waiting on real processes polls with a deadline.

import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import type { Subprocess } from "bun";
import { type CgroupDriver, type Limits } from "./driver.ts";
import { isDead, pollUntil, procStat, signal } from "./proc.ts";

const MiB = 1 << 20;
const SLOW = 20_000; // per-case timeout for cases that wait on real processes

/** Limit values read back from the kernel files; "max" = unlimited. */
export interface ReadBack {
  hardMemory: number | "max";
  softMemory: number | "max";
  cpuQuotaUs: number | "max";
  pidsMax: number | "max";
}

export interface ContractTarget {
  label: string;
  make: () => CgroupDriver;
  /** the run's unique parent cgroup of this suite, e.g. "galaxy-test/<random>/v1" */
  base: string;
  /** whole suite skipped, with the reason */
  skipAll?: string;
  /** reads the limit files back; required unless skip.limits says why not */
  readLimits?: (name: string) => ReadBack;
  /** the cgroup's directories (all must be gone after remove); none for "none" */
  dirs?: (name: string) => string[];
  /** whether /proc/<pid>/cgroup places pid in `name` (absent = no cgroup to check) */
  inCgroup?: (pid: number, name: string) => boolean;
  /** reasons to skip cases this target cannot support (a missing controller, no cgroup at all) */
  skip?: { limits?: string; memory?: string; oom?: string; cpu?: string };
  /** run only these cases (by the keys of CASES) */
  only?: string[];
}

const LIMITS: Limits = { millicores: 1500, cpuExcess: false, memory: 256 * MiB, memoryExcess: false, pids: 321 };

/** Polls cond every few ms until it holds; fails the case with `what` at the deadline. */
export async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  if (!(await pollUntil(cond, Date.now() + ms))) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
}

/** /proc/<pid>/cgroup lines "id:controllers:/path" whose path is `name` (mount root "/" or a prefix of it). */
export function procCgroupPaths(pid: number): { controllers: string; path: string }[] {
  return readFileSync(`/proc/${pid}/cgroup`, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const [, controllers = "", ...rest] = l.split(":");
      return { controllers, path: rest.join(":") };
    });
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** What every case needs: the target, its driver (made lazily), a way to start shells, and skip-aware registration. */
interface Ctx {
  t: ContractTarget;
  skip: NonNullable<ContractTarget["skip"]>;
  spawned: Subprocess[];
  driver: () => CgroupDriver;
  start: (name: string, body: string) => Promise<number>;
  caseIf: (key: string, reason: string | undefined, title: string, fn: () => Promise<void> | void, timeout?: number) => void;
}

export function runCgroupContract(t: ContractTarget): void {
  describe.skipIf(t.skipAll !== undefined)(`${t.label} contract${t.skipAll ? ` (skipped: ${t.skipAll})` : ""}`, () => {
    let d: CgroupDriver | undefined;
    const c = makeCtx(t, () => (d ??= t.make()));
    afterAll(async () => {
      for (const p of c.spawned) signal(-p.pid, "SIGKILL");
      if (d !== undefined) await d.remove(t.base);
    });
    lifecycleCases(c);
    processCases(c);
    usageCases(c);
  });
}

function makeCtx(t: ContractTarget, driver: () => CgroupDriver): Ctx {
  const spawned: Subprocess[] = [];
  /** Starts `sh -c` in cgroup `name`: the shell writes $$ into every procs file, then runs body. */
  const start = async (name: string, body: string): Promise<number> => {
    const files = driver().procsFiles(name);
    const join = files.map((f) => `echo $$ > ${shellQuote(f)} || exit 97\n`).join("");
    const p = Bun.spawn(["sh", "-c", `${join}${body}`], { detached: true, stdio: ["ignore", "ignore", "ignore"] });
    spawned.push(p);
    if (files.length === 0) {
      await waitFor(`pid ${p.pid} leads its own process group`, () => procStat(p.pid)?.pgid === p.pid);
      driver().addProcess(name, p.pid);
    }
    await waitFor(`pid ${p.pid} in ${name}`, () => driver().pids(name).includes(p.pid));
    return p.pid;
  };
  const caseIf: Ctx["caseIf"] = (key, reason, title, fn, timeout = 5_000) => {
    if (t.only !== undefined && !t.only.includes(key)) return;
    test.skipIf(reason !== undefined)(reason ? `${title} (skipped: ${reason})` : title, fn, timeout);
  };
  return { t, skip: t.skip ?? {}, spawned, driver, start, caseIf };
}

function lifecycleCases(c: Ctx): void {
  c.caseIf("lifecycle", undefined, "create, exists, list, remove; a missing cgroup is fine to remove", async () => {
    const name = `${c.t.base}/life/c1`;
    expect(c.driver().exists(name)).toBe(false);
    await c.driver().create(name, LIMITS);
    await c.driver().create(name, LIMITS); // adopting an existing one is fine
    expect(c.driver().exists(name)).toBe(true);
    expect(c.driver().list(`${c.t.base}/life`)).toEqual(["c1"]);
    expect(c.driver().list(c.t.base)).toContain("life");
    expect(c.driver().list(`${c.t.base}/nothing-here`)).toEqual([]);
    expect(c.driver().describe()).toMatch(/cgroup v1|cgroup v2|isolation: none/);
    await c.driver().remove(name);
    expect(c.driver().exists(name)).toBe(false);
    await c.driver().remove(name);
    await expect(c.driver().create("../escape", LIMITS)).rejects.toThrow(/bad cgroup name/);
    await expect(c.driver().create(`${c.t.base}/neg`, { ...LIMITS, memory: -1 })).rejects.toThrow(/bad cgroup limit/);
  });

  c.caseIf("limits", c.skip.limits, "create writes the limits; update switches to excess (soft memory, shares) and to a cpu ceiling", async () => {
    const name = `${c.t.base}/limits`;
    await c.driver().create(name, LIMITS);
    expect(c.t.readLimits!(name)).toEqual({ hardMemory: 256 * MiB, softMemory: "max", cpuQuotaUs: 1500 * 100, pidsMax: 321 });
    expect(c.driver().usage(name).memoryLimit).toBe(256 * MiB);
    c.driver().update(name, { millicores: 500, cpuExcess: true, memory: 128 * MiB, memoryExcess: true });
    expect(c.t.readLimits!(name)).toEqual({ hardMemory: 256 * MiB, softMemory: 128 * MiB, cpuQuotaUs: "max", pidsMax: 4096 });
    c.driver().update(name, { millicores: 500, cpuExcess: true, memory: 128 * MiB, memoryExcess: true, memoryCeiling: 192 * MiB });
    expect(c.t.readLimits!(name).hardMemory).toBe(192 * MiB);
    // the soft-limit controller's ceiling for an excess container is a quota again
    c.driver().update(name, { millicores: 500, cpuExcess: true, cpuCeiling: 1700, memory: 128 * MiB, memoryExcess: false });
    expect(c.t.readLimits!(name).cpuQuotaUs).toBe(1700 * 100);
  });
}

function processCases(c: Ctx): void {
  c.caseIf("join", undefined, "a shell that writes $$ to every procsFile and execs ends up in the cgroup", async () => {
    const name = `${c.t.base}/join`;
    await c.driver().create(name, LIMITS);
    const pid = await c.start(name, "exec sleep 1000");
    expect(c.driver().pids(name)).toEqual([pid]);
    if (c.t.inCgroup) expect(c.t.inCgroup(pid, name)).toBe(true);
    expect(c.driver().usage(name).pids).toBe(1);
    await c.driver().kill(name);
    expect(isDead(pid)).toBe(true);
  }, SLOW);

  c.caseIf("add", undefined, "addProcess moves a running process in", async () => {
    const name = `${c.t.base}/add`;
    await c.driver().create(name, LIMITS);
    const p = Bun.spawn(["sleep", "1000"], { detached: true, stdio: ["ignore", "ignore", "ignore"] });
    c.spawned.push(p);
    await waitFor("sleep leads its group", () => procStat(p.pid)?.pgid === p.pid);
    c.driver().addProcess(name, p.pid);
    expect(c.driver().pids(name)).toEqual([p.pid]);
    await c.driver().kill(name);
    expect(isDead(p.pid)).toBe(true);
  }, SLOW);

  c.caseIf("kill", undefined, "kill leaves no process of a forking tree; remove deletes the directories", async () => {
    const name = `${c.t.base}/tree/c1`;
    await c.driver().create(name, LIMITS);
    await c.start(name, "sleep 1000 & sleep 1000 & wait");
    await waitFor("the shell and its two children", () => c.driver().pids(name).length === 3);
    expect(c.driver().pids(`${c.t.base}/tree`)).toEqual(c.driver().pids(name)); // a parent sees its sub-cgroups
    const before = c.driver().pids(name);
    await c.driver().kill(name);
    expect(c.driver().pids(name)).toEqual([]);
    expect(before.filter((pid) => !isDead(pid))).toEqual([]);
    await c.driver().remove(`${c.t.base}/tree`);
    expect(c.driver().exists(name)).toBe(false);
    expect(c.driver().exists(`${c.t.base}/tree`)).toBe(false);
    for (const dir of c.t.dirs?.(name) ?? []) expect(existsSync(dir)).toBe(false);
  }, SLOW);

  c.caseIf("siblings", undefined, "a container's tasks and its worker in sibling cgroups: killing and removing one leaves the other", async () => {
    const tasks = `${c.t.base}/sib/c1`;
    const worker = `${c.t.base}/sib/_workers/c1`; // the agent's layout (core.ts workerCgroupName)
    await c.driver().create(tasks, LIMITS);
    await c.driver().create(worker, { ...LIMITS, memory: 2 * LIMITS.memory });
    const w = await c.start(worker, "exec sleep 1000");
    const t = await c.start(tasks, "exec sleep 1000");
    expect([c.driver().pids(tasks), c.driver().pids(worker)]).toEqual([[t], [w]]);
    if (c.skip.memory === undefined && c.skip.limits === undefined) expect(c.driver().usage(tasks).memoryLimit).toBe(LIMITS.memory);
    await c.driver().kill(tasks);
    await c.driver().remove(tasks);
    expect(isDead(t)).toBe(true);
    expect(isDead(w)).toBe(false);
    expect(c.driver().pids(worker)).toEqual([w]);
    await c.driver().remove(`${c.t.base}/sib`);
    expect(isDead(w)).toBe(true);
  }, SLOW);

  c.caseIf("remove-busy", undefined, "remove kills the processes of a non-empty cgroup first", async () => {
    const name = `${c.t.base}/busy`;
    await c.driver().create(name, LIMITS);
    const pid = await c.start(name, "exec sleep 1000");
    await c.driver().remove(name);
    expect(isDead(pid)).toBe(true);
    expect(c.driver().exists(name)).toBe(false);
  }, SLOW);
}

function usageCases(c: Ctx): void {
  c.caseIf("memory", c.skip.memory, "usage counts the memory a process holds (64 MiB buffer -> rss >= 32 MiB)", async () => {
    const name = `${c.t.base}/mem`;
    await c.driver().create(name, { ...LIMITS, memory: 512 * MiB });
    const js = "const b=Buffer.alloc(64<<20,1); setInterval(()=>b[0]++,1000)"; // b stays referenced: no GC
    await c.start(name, `exec ${shellQuote(process.execPath)} -e ${shellQuote(js)}`);
    await waitFor("rss >= 32 MiB", () => c.driver().usage(name).memoryRss >= 32 * MiB);
    await c.driver().kill(name);
  }, SLOW);

  c.caseIf("cpu", c.skip.cpu, "usage: cpuUsageUsec grows for a busy loop", async () => {
    const name = `${c.t.base}/cpu`;
    await c.driver().create(name, LIMITS);
    await c.start(name, "while :; do :; done");
    const first = c.driver().usage(name).cpuUsageUsec;
    await waitFor("50 ms of cpu", () => c.driver().usage(name).cpuUsageUsec >= first + 50_000);
    await c.driver().kill(name);
  }, SLOW);

  c.caseIf("oom", c.skip.oom, "a process allocating past a 64 MiB hard limit is OOM-killed and counted", async () => {
    const name = `${c.t.base}/oom`;
    await c.driver().create(name, { ...LIMITS, memory: 64 * MiB });
    const pid = await c.start(name, "exec tail /dev/zero"); // tail buffers an endless line
    await waitFor("an OOM kill", () => c.driver().usage(name).oomKills >= 1);
    await waitFor("the allocator dies", () => isDead(pid));
    await c.driver().kill(name);
  }, SLOW);
}
