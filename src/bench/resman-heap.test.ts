import { describe, expect, test } from "bun:test";
import { measureResManHeap } from "./resman-heap.ts";

describe("bench: ResMan heap per container (B5)", () => {
  test("every container placed and reported; two cells each (record and id), three with usage", () => {
    measureResManHeap(20_000, 200, 1); // warm-up: what the first run compiles and caches is not the containers'
    const f = measureResManHeap(20_000, 200, 1);
    expect(f.containers).toBe(20_000);
    expect(f.bytesPerContainer).toBeGreaterThan(0);
    // Before B5 a container held ~10 cells (usage, state string, ports, bindings, reasons, charge, index entries).
    expect(f.objectsPerContainer).toBeLessThan(2.5);
    const u = measureResManHeap(20_000, 200, 1, true);
    expect(u.objectsPerContainer).toBeLessThan(3.5);
  }, 60_000); // three 20,000-container builds: a loaded CI host needs more than bun's 5 s
});
