import { describe, expect, test } from "bun:test";
import { mainShapes, RankIndex } from "./rebalance-rank.ts";

const curve = (...v: number[]) => Float64Array.from(v);
const dot = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(x).reduce((s, v, i) => s + v * y[i]!, 0);

describe("rebalance rank index", () => {
  test("main shapes are orthonormal and the first is the common shape of curves that share one", () => {
    const curves = [curve(1, 2, 3, 0), curve(2, 4, 6, 0), curve(0, 0, 1, 1)];
    const shapes = mainShapes(curves, [10, 10, 1], 4, 2);
    const s0 = shapes.subarray(0, 4), s1 = shapes.subarray(4, 8);
    expect(dot(s0, s0)).toBeCloseTo(1, 9);
    expect(dot(s1, s1)).toBeCloseTo(1, 9);
    expect(dot(s0, s1)).toBeCloseTo(0, 9);
    const v = curve(1, 2, 3, 0).map((x) => x / Math.sqrt(14));
    expect(Math.abs(dot(s0, v))).toBeCloseTo(1, 3); // 20 curves of that shape against 1 other
  });

  test("a day job ranks an agent busy at night cooler than one busy by day, and an idle one coolest", () => {
    const day = curve(4, 4, 0, 0), night = curve(0, 0, 4, 4);
    const idx = new RankIndex([day, night], [5, 5], [10, 10, 10], 10, 4);
    const expU = (load: number[]) => Float64Array.from(load, (c) => Math.exp(c / 10 - 0.5));
    idx.update(0, expU([6, 6, 1, 1])); // busy by day
    idx.update(1, expU([1, 1, 6, 6])); // busy at night
    idx.update(2, expU([0, 0, 0, 0]));
    expect(idx.score(0, 1)).toBeLessThan(idx.score(0, 0));
    expect(idx.score(1, 0)).toBeLessThan(idx.score(1, 1));
    expect(idx.score(0, 2)).toBe(0); // far below its target: a typical container arrives for nothing
    expect(idx.heat(2)).toBe(0);
    expect(idx.heat(0)).toBeGreaterThan(0);
  });

  test("for curves its shapes span, the score is the slope's sum exactly", () => {
    const a = curve(1, 0, 2), b = curve(0, 3, 1);
    const idx = new RankIndex([a, b], [1, 1], [8], 10, 3, 3);
    const load = [5, 3, 6];
    const e = Float64Array.from(load, (c) => Math.exp(c / 8 - 0.5));
    idx.update(0, e);
    // the secant of 10 * (e^max(0, u - 0.5) - 1) / points over a typical container (the mean of the curves: 7/6)
    const typical = 7 / 6;
    const g = load.map((c) => (10 / 3) * (Math.exp(Math.max(0, (c + typical) / 8 - 0.5)) - Math.exp(Math.max(0, c / 8 - 0.5))) / typical);
    expect(idx.score(0, 0)).toBeCloseTo(dot(a, g), 9);
    expect(idx.score(1, 0)).toBeCloseTo(dot(b, g), 9);
  });
});
