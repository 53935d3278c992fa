import { expect, test } from "bun:test";
import type { LeaderInfo } from "./cluster-dir.ts";
import { leaseExpiry, observeHolder } from "./lease.ts";

const leader = (renewed: number): LeaderInfo => ({ addr: "a:1", epoch: 3, pid: 42, since: 0, renewed });

test("the lease holds while the leader renews, and expires leaseMs after we last saw it change", () => {
  let obs = observeHolder(null, leader(1000), 1000);
  expect(leaseExpiry(leader(1000), obs, 1600, 600)).toBeNull();
  obs = observeHolder(obs, leader(1200), 1500); // renewed
  expect(leaseExpiry(leader(1200), obs, 2100, 600)).toBeNull();
  expect(leaseExpiry(leader(1200), obs, 2101, 600)).toContain("has not renewed for 601 ms");
});

test("a standby whose clock runs 5 s ahead does not depose a healthy leader (no two clocks are compared)", () => {
  const healthy = leader(1000); // renewed at 1000 by the leader's clock; ours reads 6000
  let obs = observeHolder(null, healthy, 6000);
  expect(leaseExpiry(healthy, obs, 6000, 3000)).toBeNull();
  obs = observeHolder(obs, leader(2000), 7000);
  expect(leaseExpiry(leader(2000), obs, 9000, 3000)).toBeNull();
});

test("a record watched unchanged for leaseMs expires even when its clock runs ahead of ours", () => {
  const ahead = leader(10_000); // the leader's clock is 9 s ahead
  let obs = observeHolder(null, ahead, 1000);
  expect(leaseExpiry(ahead, obs, 1500, 600)).toBeNull();
  obs = observeHolder(obs, ahead, 1601);
  expect(obs.since).toBe(1000);
  expect(leaseExpiry(ahead, obs, 1601, 600)).toContain("has not renewed");
  const renewed = leader(10_200);
  obs = observeHolder(obs, renewed, 1602);
  expect(obs.since).toBe(1602);
  expect(leaseExpiry(renewed, obs, 1602, 600)).toBeNull();
});

test("a busy lock without a leader file expires after leaseMs of watching", () => {
  const obs = observeHolder(null, null, 0);
  expect(leaseExpiry(null, obs, 600, 600)).toBeNull();
  expect(leaseExpiry(null, obs, 601, 600)).toContain("no leader file");
});
