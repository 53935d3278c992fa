import { expect, test } from "bun:test";
import { MetricsRegistry } from "./metrics.ts";
import { lagHistogram, sampleLag } from "./loop-lag.ts";
import { RpcServer } from "./server.ts";

test("a blocked event loop shows in the lag histogram", async () => {
  const reg = new MetricsRegistry();
  const h = lagHistogram(reg, "resman");
  const stop = sampleLag(h, 5);
  await Bun.sleep(60);
  const freeAbove50ms = h.count - [...h.counts.slice(0, 6)].reduce((a, b) => a + b, 0); // buckets up to 0.05 s
  const t = performance.now();
  while (performance.now() - t < 120) {
    // the loop is blocked: a synchronous fsync, a long handler, a sweep
  }
  await Bun.sleep(20);
  stop();
  const blockedAbove50ms = h.count - [...h.counts.slice(0, 6)].reduce((a, b) => a + b, 0);
  expect(blockedAbove50ms - freeAbove50ms).toBeGreaterThanOrEqual(1);
  expect(reg.render()).toContain('galaxy_event_loop_lag_seconds_bucket{role="resman",le="0.25"}');
});

test("every RPC server exports it while listening, and may listen again after stopping", async () => {
  const s = new RpcServer({ role: "agent", secret: () => "s", authenticateUser: async () => null });
  const { port } = s.listen("127.0.0.1", 0);
  await Bun.sleep(50);
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  expect(text).toMatch(/galaxy_event_loop_lag_seconds_count\{role="agent"\} [1-9]/);
  await s.stop();
  const again = s.listen("127.0.0.1", 0);
  expect(again.port).toBeGreaterThan(0);
  await s.stop();
});
