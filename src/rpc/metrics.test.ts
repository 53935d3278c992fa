import { describe, expect, test } from "bun:test";
import { MetricsRegistry } from "./metrics.ts";

describe("MetricsRegistry", () => {
  test("counters and gauges render with labels, help and type", () => {
    const r = new MetricsRegistry();
    const c = r.counter("galaxy_things_total", "Things.", ["kind"]);
    c.labels("a").inc();
    c.labels("a").inc(2);
    c.labels('q"uote\\').inc();
    const g = r.gauge("galaxy_level", "Level.");
    g.set(7);
    g.dec(2);
    const text = r.render();
    expect(text).toContain("# HELP galaxy_things_total Things.\n# TYPE galaxy_things_total counter\n");
    expect(text).toContain('galaxy_things_total{kind="a"} 3\n');
    expect(text).toContain('galaxy_things_total{kind="q\\"uote\\\\"} 1\n');
    expect(text).toContain("# TYPE galaxy_level gauge\ngalaxy_level 5\n");
  });

  test("histograms are cumulative with +Inf, sum and count", () => {
    const r = new MetricsRegistry();
    const h = r.histogram("lat_seconds", "Latency.", ["m"], [0.1, 1]).labels("x");
    h.observe(0.05);
    h.observe(0.1);
    h.observe(0.5);
    h.observe(3);
    const text = r.render();
    expect(text).toContain('lat_seconds_bucket{m="x",le="0.1"} 2\n');
    expect(text).toContain('lat_seconds_bucket{m="x",le="1"} 3\n');
    expect(text).toContain('lat_seconds_bucket{m="x",le="+Inf"} 4\n');
    expect(text).toContain('lat_seconds_sum{m="x"} 3.65\n');
    expect(text).toContain('lat_seconds_count{m="x"} 4\n');
  });

  test("collected gauges are read at scrape time; a failing one is skipped", () => {
    const r = new MetricsRegistry();
    let n = 1;
    r.collect("galaxy_queue", "Queue.", () => n);
    r.collect("galaxy_agents", "Agents.", () => [{ labels: { state: "alive" }, value: 3 }]);
    r.collect("galaxy_broken", "Broken.", () => {
      throw new Error("boom");
    });
    n = 4;
    const text = r.render();
    expect(text).toContain("galaxy_queue 4\n");
    expect(text).toContain('galaxy_agents{state="alive"} 3\n');
    expect(text).not.toContain("galaxy_broken");
  });

  test("bad names, duplicate names and wrong label counts are refused", () => {
    const r = new MetricsRegistry();
    expect(() => r.counter("bad-name", "x")).toThrow("bad metric name");
    expect(() => r.counter("ok", "x", ["bad-label"])).toThrow("bad label name");
    r.counter("dup", "x", ["a"]);
    expect(() => r.gauge("dup", "x")).toThrow("already registered");
    expect(() => r.counter("two", "x", ["a", "b"]).labels("only")).toThrow("wants 2 label values");
  });

  test("labels() returns the same child for the same values", () => {
    const c = new MetricsRegistry().counter("c_total", "c", ["a"]);
    expect(c.labels("x")).toBe(c.labels("x"));
  });
});
