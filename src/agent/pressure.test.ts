import { describe, expect, test } from "bun:test";
import { choosePressureVictims } from "./pressure.ts";

const G = 1 << 30;
const host = (offered: number, total = 64 * G, available = 60 * G) => ({ offered, total, available });
const u = (id: string, jobType: string, gib: number) => ({ id, jobType, used: gib * G });

describe("memory pressure", () => {
  test("below the high mark: no pressure, no victim", () => {
    expect(choosePressureVictims(host(10 * G), [u("s", "service", 5), u("b", "batch", 3.5)])).toEqual({ pressure: false, victims: [], reason: "" });
  });

  test("best-effort first, most memory first, until use is under the low mark; then batch", () => {
    const users = [u("s", "service", 5), u("b1", "batch", 1), u("e1", "best-effort", 1), u("e2", "best-effort", 2), u("m", "monitor", 0.5)];
    const v = choosePressureVictims(host(10 * G), users); // 9.5 of 10: evict down to 8
    expect(v.pressure).toBe(true);
    expect(v.victims).toEqual(["e2"]);
    expect(v.reason).toMatch(/containers use 95% of the agent's memory/);
    const worse = choosePressureVictims(host(10 * G), [...users, u("b2", "batch", 1.4)]); // 10.9: evict 2.9
    expect(worse.victims).toEqual(["e2", "e1"]);
    const worst = choosePressureVictims(host(10 * G), [...users, u("b2", "batch", 3)]); // 12.5: evict 4.5 (2 + 1 + 3)
    expect(worst.victims).toEqual(["e2", "e1", "b2"]);
  });

  test("never a service or a monitor, even when nothing else is left", () => {
    const v = choosePressureVictims(host(10 * G), [u("s", "service", 9.8), u("m", "monitor", 0.5), u("e", "best-effort", 0.1)]);
    expect(v.pressure).toBe(true);
    expect(v.victims).toEqual(["e"]);
  });

  test("the machine itself short of memory (other programs) counts too", () => {
    const v = choosePressureVictims(host(10 * G, 64 * G, 2 * G), [u("s", "service", 1), u("e", "best-effort", 1)]);
    expect(v.pressure).toBe(true);
    expect(v.victims).toEqual(["e"]);
  });
});
