import { expect, test } from "bun:test";
import { hostPidOf, parseNsPid } from "./host-pid.ts";

test("NSpid parsing and the identity outside a pid namespace", () => {
  expect(parseNsPid("Name:\tx\nNSpid:\t812\t5\nPPid:\t1\n")).toEqual([812, 5]);
  expect(parseNsPid("Name:\tx\n")).toEqual([]);
  expect(hostPidOf(process.pid, undefined)).toBe(process.pid);
  // with the host /proc given but no namespace: our own pid maps to itself only through a one-level NSpid -> unchanged
  expect(hostPidOf(process.pid, "/proc")).toBe(process.pid);
});
