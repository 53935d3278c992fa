import { describe, expect, test } from "bun:test";
import type { Cap } from "../rpc/types.ts";
import { capOf, MiB } from "./test-fixtures.ts";
import {
  type ContainerCheckpoint, EXIT_CANNOT_JOIN_CGROUP, EXIT_SETUP_FAILED, acceptEpoch, newerCaps, cgroupName, classifyWorkerExit, diffCaps,
  limitsOf, oomNote, optionsOf, pidsNote, stopTimeoutOf, withOomCause, workerRestartDelay,
} from "./core.ts";

const held = (id: string, state: ContainerCheckpoint["state"] = "running"): [string, ContainerCheckpoint] => [
  id,
  { id, cap: capOf(id), state, cgroup: "", workspace: "", pid: 0, pidStart: 0, startedAt: 0, message: "", exitCode: 0, workerRestarts: 0 },
];

describe("cap set and fencing", () => {
  test("diffCaps creates what is new and destroys what left, but not what is already being destroyed", () => {
    const m = new Map([held("a.0"), held("b.0"), held("c.0", "destroying")]);
    const d = diffCaps(m, [capOf("a.0"), capOf("d.0")]);
    expect(d.create.map((c) => c.containerId)).toEqual(["d.0"]);
    expect(d.destroy).toEqual(["b.0"]);
  });

  test("an epoch below the one seen is refused", () => {
    expect([acceptEpoch(3, 2), acceptEpoch(3, 3), acceptEpoch(3, 4)]).toEqual([false, true, true]);
  });

  test("cgroup names are unique per agent endpoint", () => {
    expect(cgroupName("127.0.0.1:1646", "web.0")).toBe("galaxy/127.0.0.1_1646/web.0");
  });
});

const NO_IO = { weight: 0, readBps: 0, writeBps: 0, readIops: 0, writeIops: 0 };

describe("limits and options of a cap", () => {
  test("a plain cap: hard cpu quota and memory limit, 4096 pids, no io weight", () => {
    expect(limitsOf(capOf("a.0"))).toEqual({ millicores: 500, cpuExcess: false, memory: 128 * MiB, memoryExcess: false, pids: 4096 });
  });

  test("excess: the controller's ceiling (never below the request); memory soft limit with a ceiling; pids; io weight", () => {
    const cap = capOf("a.0", {
      container: { cpuExcess: true, memoryExcess: true, memoryCeiling: 256 * MiB, pidsLimit: 64, ioWeight: 300, io: NO_IO, stopTimeoutMs: 5000, workspaceSize: 0 },
    });
    expect(limitsOf(cap)).toMatchObject({ cpuExcess: true, cpuCeiling: 500, memoryExcess: true, memoryCeiling: 256 * MiB, pids: 64, ioWeight: 300 });
    expect(limitsOf(cap, 1700).cpuCeiling).toBe(1700);
    expect(limitsOf(cap, 100).cpuCeiling).toBe(500);
    expect(stopTimeoutOf(cap, 10_000)).toBe(5000);
  });

  test("io: the job's weight wins over ioWeight; throttles apply on the devices given, none without devices", () => {
    const io = { weight: 500, readBps: 50 * MiB, writeBps: 20 * MiB, readIops: 0, writeIops: 300 };
    const cap = capOf("a.0", { container: { ...capOf("a.0").container, ioWeight: 100, io } });
    expect(limitsOf(cap).ioWeight).toBe(500);
    expect(limitsOf(cap).ioThrottle).toBeUndefined();
    expect(limitsOf(cap, undefined, ["254:0", "7:1"]).ioThrottle).toEqual({ devices: ["254:0", "7:1"], readBps: 50 * MiB, writeBps: 20 * MiB, readIops: 0, writeIops: 300 });
    expect(limitsOf(capOf("a.0"), undefined, ["254:0"]).ioThrottle).toBeUndefined();
  });

  test("a cap from an older ResMan or checkpoint (no options) gets the defaults", () => {
    const old = { ...capOf("a.0") } as Partial<Cap>;
    delete old.container;
    expect(optionsOf(old as Cap)).toEqual({ cpuExcess: false, memoryExcess: false, memoryCeiling: 0, pidsLimit: 0, ioWeight: 0, io: { weight: 0, readBps: 0, writeBps: 0, readIops: 0, writeIops: 0 }, stopTimeoutMs: 0, workspaceSize: 0 });
    expect(stopTimeoutOf(old as Cap, 10_000)).toBe(10_000);
  });
});

describe("worker exits", () => {
  test("0 is done; setup failures fail the container with the reason; anything else restarts", () => {
    expect(classifyWorkerExit(0, null, "")).toEqual({ kind: "exited", message: "worker exited 0" });
    expect(classifyWorkerExit(EXIT_CANNOT_JOIN_CGROUP, null, "").kind).toBe("failed");
    expect(classifyWorkerExit(EXIT_SETUP_FAILED, null, "noise\ngalaxy-init: cannot bind /a at /b\n")).toEqual({
      kind: "failed", message: "container setup failed: noise; galaxy-init: cannot bind /a at /b",
    });
    expect(classifyWorkerExit(1, null, "")).toEqual({ kind: "restart", message: "worker exited 1" });
    expect(classifyWorkerExit(137, null, "").message).toBe("worker killed by signal 9");
    expect(classifyWorkerExit(null, "SIGKILL", "").message).toBe("worker killed by SIGKILL");
    expect(classifyWorkerExit(null, null, "").message).toContain("unknown");
  });

  test("restart back-off: at once, then 1 s doubling up to 30 s", () => {
    expect([0, 1, 2, 3, 6, 20].map(workerRestartDelay)).toEqual([0, 1000, 2000, 4000, 30_000, 30_000]);
  });
});

describe("diffCaps: a new grant for a held container id recreates it", () => {
  const cap = (id: string, grantedAt: number) => ({ containerId: id, groupId: "g", grantedAt } as Cap);
  const held = (id: string, grantedAt: number, state = "running") => [id, { id, cap: cap(id, grantedAt), state } as ContainerCheckpoint] as const;
  test("same grant: nothing; newer grant: destroy now, create once gone; grant 0 (unknown): keep", () => {
    expect(diffCaps(new Map([held("g.0", 5)]), [cap("g.0", 5)])).toEqual({ create: [], destroy: [] });
    expect(diffCaps(new Map([held("g.0", 5)]), [cap("g.0", 9)])).toEqual({ create: [], destroy: ["g.0"] });
    expect(diffCaps(new Map([held("g.0", 5, "destroying")]), [cap("g.0", 9)])).toEqual({ create: [], destroy: [] });
    expect(diffCaps(new Map(), [cap("g.0", 9)]).create.map((c) => c.containerId)).toEqual(["g.0"]);
    expect(diffCaps(new Map([held("g.0", 5)]), [cap("g.0", 0)])).toEqual({ create: [], destroy: [] });
  });
});

describe("newerCaps: heartbeat and watch replies may cross", () => {
  test("a newer version or epoch replaces the held set; the same or an older one never does", () => {
    expect(newerCaps({ epoch: 3, capsVersion: 8 }, 3, 7)).toBe(true);
    expect(newerCaps({ epoch: 4, capsVersion: 1 }, 3, 7)).toBe(true);
    expect(newerCaps({ epoch: 3, capsVersion: 7 }, 3, 7)).toBe(false);
    expect(newerCaps({ epoch: 3, capsVersion: 6 }, 3, 7)).toBe(false);
    expect(newerCaps({ epoch: 2, capsVersion: 99 }, 3, 7)).toBe(false);
    expect(newerCaps({ epoch: 1, capsVersion: 1 }, 0, 0)).toBe(true); // a fresh agent takes its first set
  });
});

describe("why a container's processes died", () => {
  test("notes: OOM kills at the memory limit, the pids limit reached", () => {
    expect(oomNote(2, 64 * MiB)).toBe("OOM killer: 2 process(es) killed at the memory limit of 64M");
    expect(oomNote(1, 0)).toBe("OOM killer: 1 process(es) killed at the memory limit");
    expect(pidsNote(4096, 4096)).toBe("pids limit reached: 4096 of 4096 processes; no new process can start");
    expect(pidsNote(4095, 4096)).toBe("");
    expect(pidsNote(5, 0)).toBe("");
  });

  test("a worker killed by SIGKILL while the OOM killer struck was killed for memory", () => {
    const m = "worker killed by SIGKILL";
    expect(withOomCause(m, { code: null, sig: "SIGKILL" }, 0, 1, 64 * MiB)).toBe("worker killed by SIGKILL: out of memory (limit 64M)");
    expect(withOomCause("worker killed by signal 9", { code: 137, sig: null }, 1, 2, 0)).toBe("worker killed by signal 9: out of memory");
    expect(withOomCause("worker is gone (its exit status is unknown)", { code: null, sig: null }, 0, 1, 64 * MiB)).toContain(": out of memory");
    expect(withOomCause(m, { code: null, sig: "SIGKILL" }, 1, 1, 64 * MiB)).toBe(m); // the counter did not move
    expect(withOomCause("worker exited 3", { code: 3, sig: null }, 0, 1, 64 * MiB)).toBe("worker exited 3"); // not a kill
    expect(withOomCause("worker killed by SIGTERM", { code: null, sig: "SIGTERM" }, 0, 1, 64 * MiB)).toBe("worker killed by SIGTERM");
  });
});
