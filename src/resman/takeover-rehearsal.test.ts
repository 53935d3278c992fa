import { expect, test } from "bun:test";
import { measureRecoveryCost } from "./takeover-rehearsal.ts";

test("a rehearsed takeover rebuilds every container of the old leader on the new one", () => {
  const f = measureRecoveryCost(300, 30);
  expect({ containers: f.containers, agents: f.agents }).toEqual({ containers: 300, agents: 30 });
  expect(f.syncBytes).toBeGreaterThan(0);
  expect(f.reportBytes).toBeGreaterThan(0);
});
