import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mkdirSync, statSync } from "node:fs";
import { blockDevicesOf, devNumber, dirUsage, ioCannotEnforce, isMountPoint, isRoot, makeMountPoint, mountPoints, prepareVolume, removeEmptyDirs, unmount, volumeUsage } from "./volume-io.ts";

const dir = mkdtempSync(join(tmpdir(), "galaxy-volio-"));
afterAll(() => {
  unmount(join(dir, "t"));
  rmSync(dir, { recursive: true, force: true });
});

test("mount points from mountinfo, escapes decoded", () => {
  const text = "36 35 98:0 /mnt1 /mnt/a\\040b rw - ext3 /dev/root rw\n37 35 0:5 / /proc rw - proc proc rw\n";
  expect(mountPoints(text)).toEqual(["/mnt/a b", "/proc"]);
  expect(isMountPoint("/proc")).toBe(true);
});

test("mount points made for binds are removed again, innermost first, only while empty", () => {
  const made = makeMountPoint(join(dir, "a", "b", "c"));
  expect(made).toEqual([join(dir, "a"), join(dir, "a", "b"), join(dir, "a", "b", "c")]);
  expect(makeMountPoint(join(dir, "a", "b", "c"))).toEqual([]);
  writeFileSync(join(dir, "a", "keep"), "x");
  removeEmptyDirs(made);
  expect([existsSync(join(dir, "a", "b")), existsSync(join(dir, "a"))]).toEqual([false, true]);
});

test("a directory volume is measured by du", async () => {
  const v = { path: "/d", hostPath: join(dir, "d"), medium: "disk", size: 0, kind: "dir" as const, readonly: false };
  prepareVolume(v);
  writeFileSync(join(v.hostPath, "f"), Buffer.alloc(256 * 1024, 1));
  expect(await volumeUsage(v)).toBeGreaterThanOrEqual(256 * 1024);
  expect(await dirUsage(join(dir, "missing"))).toBe(0);
});

test.skipIf(!isRoot())("a tmpfs volume is a tmpfs of its size, measured by its filesystem, and unmounted", async () => {
  const v = { path: "/t", hostPath: join(dir, "t"), medium: "tmpfs", size: 4 << 20, kind: "tmpfs" as const, readonly: false };
  prepareVolume(v);
  prepareVolume(v); // already mounted: left alone
  expect(mountPoints().filter((m) => m === v.hostPath)).toHaveLength(1);
  writeFileSync(join(v.hostPath, "f"), Buffer.alloc(1 << 20, 1));
  expect(await volumeUsage(v)).toBeGreaterThanOrEqual(1 << 20);
  expect(() => writeFileSync(join(v.hostPath, "g"), Buffer.alloc(5 << 20, 1))).toThrow(/ENOSPC|no space/i);
  unmount(v.hostPath);
  expect(isMountPoint(v.hostPath)).toBe(false);
});

test("devNumber splits st_dev into MAJ:MIN (big minors included); blockDevicesOf names whole disks only", () => {
  expect(devNumber((254 << 8) | 0)).toBe("254:0");
  expect(devNumber((8 << 8) | 17)).toBe("8:17");
  expect(devNumber(0x56 | (259 << 8) | (0x1200 * 4096))).toBe(`259:${0x1256}`); // minor 0x1256: its high bits above bit 20
  const here = blockDevicesOf([join(dir, "missing", "deeper")]); // the nearest existing ancestor counts
  const dev = devNumber(Number(statSync(dir).dev));
  expect(here).toEqual(dev.startsWith("0:") ? [] : [expect.stringMatching(/^\d+:\d+$/)]);
  expect(blockDevicesOf(["/proc/self"])).toEqual([]); // no block device under procfs
});

test("ioCannotEnforce: v1 without blkio.weight says so; a controller missing says nothing is enforced", () => {
  const root = join(dir, "cg");
  mkdirSync(join(root, "blkio"), { recursive: true });
  writeFileSync(join(root, "blkio", "blkio.throttle.write_bps_device"), "");
  expect(ioCannotEnforce("cgroup-v1", root)).toEqual([
    "io weight: no blkio.weight (io weights are not enforced)",
    "io throttles: direct io only (buffered writes are throttled when written back, outside the container's cgroup)",
  ]);
  writeFileSync(join(root, "blkio", "blkio.bfq.weight"), "");
  expect(ioCannotEnforce("cgroup-v1", root)[0]).toStartWith("io throttles");
  expect(ioCannotEnforce("cgroup-v1", join(dir, "nothing"))).toEqual(["io: no blkio controller (io weight and throttles are not enforced)"]);
  expect(ioCannotEnforce("none")).toEqual(["io: no cgroups (io weight and throttles are not enforced)"]);
  expect(ioCannotEnforce("cgroup-v2", join(dir, "nothing"))).toEqual(["io: no io controller (io weight and throttles are not enforced)"]);
});
