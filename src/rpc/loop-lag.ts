// The event loop's delay, as every Galaxy server exports it (/metrics): a timer every LAG_SAMPLE_MS notes how late
// it fired. A late timer means every call that arrived meanwhile waited as long (a long handler, a synchronous
// fsync, a burst, a garbage-collection sweep): the part of a round trip that the per-method histograms, which start
// when a handler is entered, do not see. This is how the heartbeat tail of BENCHMARKS.md was found.
import type { HistogramChild, MetricsRegistry } from "./metrics.ts";

export const LAG_SAMPLE_MS = 20;
export const LAG_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** `galaxy_event_loop_lag_seconds{role}` in the registry (once per registry). */
export function lagHistogram(registry: MetricsRegistry, role: string): HistogramChild {
  return registry.histogram(
    "galaxy_event_loop_lag_seconds", `How late a ${LAG_SAMPLE_MS} ms timer fired: how long calls waited for the event loop.`, ["role"], LAG_BUCKETS,
  ).labels(role);
}

/** Samples the loop's delay into `h` until the returned function is called (the timer never keeps the process up). */
export function sampleLag(h: HistogramChild, sampleMs = LAG_SAMPLE_MS): () => void {
  let last = performance.now();
  const t = setInterval(() => {
    const now = performance.now();
    h.observe(Math.max(0, now - last - sampleMs) / 1000);
    last = now;
  }, sampleMs);
  t.unref();
  return () => clearInterval(t);
}
