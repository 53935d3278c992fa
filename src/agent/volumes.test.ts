import { describe, expect, test } from "bun:test";
import { capOf, MiB } from "./test-fixtures.ts";
import { judgeDisk, parseVolumeFlag, planVolumes, volumeEnv } from "./volumes.ts";

const G = 1 << 30;

describe("--volume MEDIUM:PATH:SIZE", () => {
  test("parses disk and ssd devices, paths with colons included", () => {
    expect(parseVolumeFlag("disk:/home/d1:500G")).toEqual({ medium: "disk", path: "/home/d1", size: 500 * G });
    expect(parseVolumeFlag("ssd:/mnt/a:b:1T")).toEqual({ medium: "ssd", path: "/mnt/a:b", size: 1024 * G });
  });

  test("refuses what it cannot use, saying what to write", () => {
    expect(() => parseVolumeFlag("disk:/d1")).toThrow(/want MEDIUM:PATH:SIZE/);
    expect(() => parseVolumeFlag("tmpfs:/d1:1G")).toThrow(/medium is disk or ssd/);
    expect(() => parseVolumeFlag("disk:d1:1G")).toThrow(/clean absolute/);
    expect(() => parseVolumeFlag("disk:/:1G")).toThrow(/clean absolute/);
    expect(() => parseVolumeFlag("disk:/d1:0")).toThrow(/above 0/);
    expect(() => parseVolumeFlag("disk:/d1:1GB")).toThrow(/use 1G/);
  });
});

describe("where volumes live", () => {
  const devices = [
    { medium: "disk" as const, path: "/d1", size: 100 * G },
    { medium: "disk" as const, path: "/d2", size: 100 * G },
    { medium: "ssd" as const, path: "/s1", size: 50 * G },
  ];
  const ctx = { dataDir: "/var/galaxy", agentKey: "h_1646", devices, free: new Map([["/d1", 10 * G], ["/d2", 90 * G]]) };

  test("tmpfs under the data dir; shared disk on the emptiest disk device; exclusive on the device ResMan bound", () => {
    const cap = capOf("web.3", {
      volumes: [
        { path: "/cache", size: 64 * MiB, medium: "tmpfs", exclusive: false, readonly: false, persistent: false, sticky: false, retentionMs: 0 },
        { path: "/data", size: 5 * G, medium: "disk", exclusive: false, readonly: true, persistent: false, sticky: false, retentionMs: 0 },
        { path: "/fast", size: 40 * G, medium: "ssd", exclusive: true, readonly: false, persistent: false, sticky: false, retentionMs: 0 },
        { path: "/big", size: 90 * G, medium: "disk", exclusive: true, readonly: false, persistent: false, sticky: false, retentionMs: 0 },
      ],
      bindings: [{ path: "/big", hostPath: "/d1", size: 100 * G, medium: "disk", shared: false }],
    });
    expect(planVolumes(cap, ctx)).toEqual([
      { path: "/cache", medium: "tmpfs", size: 64 * MiB, readonly: false, kind: "tmpfs", hostPath: "/var/galaxy/volumes/web.3/0" },
      { path: "/data", medium: "disk", size: 5 * G, readonly: true, kind: "dir", hostPath: "/d2/galaxy/h_1646/web.3/1" },
      { path: "/fast", medium: "ssd", size: 40 * G, readonly: false, kind: "dir", hostPath: "/s1/galaxy/h_1646/web.3/2" },
      { path: "/big", medium: "disk", size: 90 * G, readonly: false, kind: "dir", hostPath: "/d1/galaxy/h_1646/web.3/3" },
    ]);
  });

  test("a medium without a device falls back to the data dir", () => {
    const cap = capOf("web.0", { volumes: [{ path: "/d", size: G, medium: "ssd", exclusive: false, readonly: false, persistent: false, sticky: false, retentionMs: 0 }] });
    expect(planVolumes(cap, { ...ctx, devices: [] })[0]!.hostPath).toBe("/var/galaxy/volumes/web.0/0");
  });

  test("GALAXY_VOLUME_<PATH> names where a task finds each volume", () => {
    const plans = planVolumes(capOf("w.0", { volumes: [{ path: "/var/my-cache", size: G, medium: "tmpfs", exclusive: false, readonly: false, persistent: false, sticky: false, retentionMs: 0 }] }), ctx);
    expect(volumeEnv(plans, true)).toEqual({ GALAXY_VOLUME_VAR_MY_CACHE: "/var/my-cache" });
    expect(volumeEnv(plans, false)).toEqual({ GALAXY_VOLUME_VAR_MY_CACHE: "/var/galaxy/volumes/w.0/0" });
  });
});

describe("disk over its size", () => {
  const over = [{ what: "/data", size: G, used: 1.5 * G }, { what: "workspace", size: 0, used: 5 * G }];

  test("within size: nothing; a size of 0 is not enforced", () => {
    expect(judgeDisk([{ what: "/data", size: G, used: G }, over[1]!], 0, 1000, 30_000)).toEqual({ overSince: 0, message: "", kill: false });
  });

  test("over: a warning at once with the time left, the kill after the grace, the clock kept between checks", () => {
    const first = judgeDisk(over, 0, 1000, 30_000);
    expect(first).toEqual({ overSince: 1000, kill: false, message: "over its disk size: /data uses 1.5G of its 1G; it is killed in 30s unless it frees space" });
    expect(judgeDisk(over, first.overSince, 21_000, 30_000).message).toContain("killed in 10s");
    const last = judgeDisk(over, first.overSince, 31_000, 30_000);
    expect(last).toEqual({ overSince: 1000, kill: true, message: "killed: /data uses 1.5G of its 1G for longer than 30s" });
  });
});
