import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostPidOf, ownHostPid, parseNsPid } from "./host-pid.ts";

test("NSpid parsing and the identity outside a pid namespace", () => {
  expect(parseNsPid("Name:\tx\nNSpid:\t812\t5\nPPid:\t1\n")).toEqual([812, 5]);
  expect(parseNsPid("Name:\tx\n")).toEqual([]);
  expect(hostPidOf(process.pid, undefined)).toBe(process.pid);
  // with the host /proc given but no namespace: our own pid maps to itself only through a one-level NSpid -> unchanged
  expect(hostPidOf(process.pid, "/proc")).toBe(process.pid);
});

test("the worker's own host pid is looked up once; a failed lookup is not kept", () => {
  const dir = mkdtempSync(join(tmpdir(), "galaxy-hostproc-"));
  try {
    expect(ownHostPid(dir)).toBe(process.pid); // nothing there: not found, not kept
    mkdirSync(join(dir, "777777", "ns"), { recursive: true });
    writeFileSync(join(dir, "777777", "status"), `Name:\tworker\nNSpid:\t777777\t${process.pid}\n`);
    symlinkSync(readlinkSync("/proc/self/ns/pid"), join(dir, "777777", "ns", "pid"));
    expect(ownHostPid(dir)).toBe(777777);
    rmSync(join(dir, "777777"), { recursive: true });
    expect(ownHostPid(dir)).toBe(777777); // kept: no second scan of the host's /proc
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
