import { describe, expect, test } from "bun:test";
import { StartGate } from "./start-gate.ts";

describe("StartGate", () => {
  test("lets `limit` in at once; the others wait in order and go in as slots free", async () => {
    const gate = new StartGate(2);
    const order: number[] = [];
    const entered = [1, 2, 3, 4].map((i) => gate.enter().then(() => order.push(i)));
    await Bun.sleep(0);
    expect(order).toEqual([1, 2]);
    expect(gate.inFlight).toBe(2);
    expect(gate.waiting).toBe(2);
    gate.leave();
    await Bun.sleep(0);
    expect(order).toEqual([1, 2, 3]);
    expect(gate.inFlight).toBe(2);
    gate.leave();
    gate.leave();
    gate.leave();
    await Promise.all(entered);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(gate.inFlight).toBe(0);
    expect(gate.waiting).toBe(0);
  });

  test("a limit must be a whole number above 0", () => {
    expect(() => new StartGate(0)).toThrow("bad start limit 0");
  });
});
