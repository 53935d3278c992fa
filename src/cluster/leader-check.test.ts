import { expect, test } from "bun:test";
import type { ClusterDir } from "./cluster-dir.ts";
import { LEADER_ADDR_TTL_MS, leaderCheck, type MasterShell } from "./master.ts";

/** A cluster dir whose leader file says `addr`, counting reads. */
function dir(addr: { v: string }) {
  const reads = { n: 0 };
  const cluster = { readLeader: () => (reads.n++, { addr: addr.v }) } as unknown as ClusterDir;
  return { cluster, reads };
}

const shell = (leading: boolean): MasterShell =>
  ({ leadership: { isLeader: () => leading }, ready: () => true, becomeLeader: () => {}, stopTimers: () => {} }) as unknown as MasterShell;

test("a standby reads the leader file at most once per TTL and then names the new leader", () => {
  const addr = { v: "10.0.0.1:1645" };
  const { cluster, reads } = dir(addr);
  let now = 1000;
  const check = leaderCheck("resman", cluster, "10.0.0.2:1645", shell(false), () => now);
  for (let i = 0; i < 100; i++) expect(check()).toEqual({ leader: false, leaderAddr: "10.0.0.1:1645" });
  expect(reads.n).toBe(1);
  addr.v = "10.0.0.3:1645"; // a new leader wrote the file
  now += LEADER_ADDR_TTL_MS - 1;
  expect(check().leaderAddr).toBe("10.0.0.1:1645");
  now += 1;
  expect(check().leaderAddr).toBe("10.0.0.3:1645");
  expect(reads.n).toBe(2);
});

test("the leader names itself and never reads the file", () => {
  const { cluster, reads } = dir({ v: "elsewhere:1" });
  const check = leaderCheck("appmaster", cluster, "me:1646", shell(true), () => 0);
  expect(check()).toEqual({ leader: true, leaderAddr: "me:1646" });
  expect(reads.n).toBe(0);
});
