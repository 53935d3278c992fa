import { describe, expect, test } from "bun:test";
import { parsePoolTargets } from "./resman.ts";

describe("galaxy resman --pool-load-target", () => {
  test("POOL=FRACTION, repeatable", () => {
    expect(parsePoolTargets(["gpu=0.7", "edge=0.3"])).toEqual({ gpu: 0.7, edge: 0.3 });
    expect(parsePoolTargets([])).toEqual({});
  });

  test("a bad value is one clear sentence", () => {
    expect(() => parsePoolTargets(["gpu"])).toThrow('--pool-load-target "gpu": want POOL=FRACTION, e.g. gpu=0.7');
    expect(() => parsePoolTargets(["gpu=2"])).toThrow('--pool-load-target "2": want a number from 0 to 1, e.g. 0.8');
  });
});
