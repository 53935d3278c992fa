// The cluster and failover benchmarks at small sizes, with real ResMan processes and a child process of simulated
// agents: they run, and their numbers are sane (every heartbeat answered, every container confirmed, nothing
// over-committed, nothing revoked by the failover). No timing assertions.
import { describe, expect, test } from "bun:test";
import { EtcdClient } from "../cluster/etcd-client.ts";
import { etcdMissing, startEtcd } from "../cluster/etcd-local.ts";
import { selfCommand } from "../sys/self.ts";
import { runClusterBench } from "./cluster.ts";
import { clusterTables, clusterTargets } from "./cluster-report.ts";
import { runFailoverBench } from "./failover.ts";
import { failoverTable } from "./failover-report.ts";
import { parseShape } from "./workload.ts";

const common = {
  galaxy: selfCommand(), fleets: 1, shape: parseShape("4/16G/100G"), heartbeatIntervalMs: 200, recoveryWindow: "2s",
  heartbeatOnly: false, maxInFlight: 64, standby: false, log: () => {},
};

describe("bench cluster and failover, small", () => {
  test("cluster: heartbeats answered, a group placed and confirmed, a fill held, nothing over-committed", async () => {
    const f = await runClusterBench({
      ...common, agents: 20, replicas: 30, container: parseShape("500m/1G"), warmupSec: 0.2, measureSec: 0.6,
      loadIntervalsMs: [100], fill: 60, fillGroupSize: 20, fillIntervalMs: 0,
    });
    expect(f.idle.heartbeatsPerSec).toBeGreaterThan(0);
    expect(f.idle.errors).toBe(0);
    expect(f.load).toHaveLength(1);
    expect(f.load[0]!.offeredPerSec).toBe(200);
    expect(f.submit.replicas).toBe(30);
    expect(f.submit.capMaxMs).toBeGreaterThan(0);
    expect(f.submit.confirmedMaxMs).toBeGreaterThanOrEqual(f.submit.capMaxMs);
    // caps go out on ResMan's tick through the agents' parked WatchCaps, not at their next heartbeat
    expect(f.submit.viaWatch).toBeGreaterThan(0);
    expect(f.filled!.containers).toBe(90);
    expect(f.filled!.window.resmanRssMiB).toBeGreaterThan(0);
    expect(f.filled!.hints!.containers).toBe(90);
    // every container is placed and running: nothing changes between the full GetHints and the incremental one
    expect(f.filled!.hints!.incremental.containers).toBeLessThan(90);
    expect(clusterTables(f)).toContain("incremental (since the previous reply");
    expect(f.overcommitted).toEqual([]);
    expect(clusterTables(f)).toContain("HEARTBEATS/S");
    expect(clusterTargets(f).every((t) => t.atScale === false)).toBe(true);
  }, 60_000);

  test("failover: the standby learns every container, places again, revokes nothing", async () => {
    const f = await runFailoverBench({
      ...common, standby: true, agents: 12, perAgent: 3, groupSize: 10, newGroupReplicas: 5, settleSec: 0.3,
    });
    expect(f.containers).toBe(36);
    expect(f.perAgent).toEqual([3, 3]);
    expect(f.epochAfter).toBe(f.epochBefore + 1);
    expect(f.lockToFullKnowledgeMs).toBeGreaterThanOrEqual(0);
    expect(f.lockToPlacedAgainMs).toBeGreaterThanOrEqual(f.lockToFullKnowledgeMs);
    expect(f.revoked).toBe(0);
    expect(f.agentsOnNewEpoch).toBe(true);
    expect(f.overcommitted).toEqual([]);
    expect(failoverTable(f)).toContain("full placement knowledge");
  }, 60_000);

  // The leader is read from etcd's leader key (there is no leader file): a ResMan not on etcd fails the run.
  test.skipIf(etcdMissing !== null)(`failover on etcd (3 members started by the bench), a data dir per ResMan: nothing revoked${etcdMissing ? ` (skipped: ${etcdMissing})` : ""}`, async () => {
    const f = await runFailoverBench({
      ...common, standby: true, etcd: "local", agents: 12, perAgent: 3, groupSize: 10, newGroupReplicas: 5, settleSec: 0.3,
    });
    expect(f.backend).toBe("etcd");
    expect(f.containers).toBe(36);
    expect(f.epochAfter).toBeGreaterThan(f.epochBefore);
    expect(f.lockToPlacedAgainMs).toBeGreaterThanOrEqual(f.lockToFullKnowledgeMs);
    expect(f.revoked).toBe(0);
    expect(f.agentsOnNewEpoch).toBe(true);
    expect(f.overcommitted).toEqual([]);
    expect(failoverTable(f)).toContain("etcd (3 members), a data dir per ResMan");
  }, 90_000);

  test.skipIf(etcdMissing !== null)(`failover on a running etcd (--etcd-endpoints): it leaves no key behind${etcdMissing ? ` (skipped: ${etcdMissing})` : ""}`, async () => {
    const etcd = await startEtcd(1);
    try {
      const f = await runFailoverBench({
        ...common, standby: true, etcd: etcd.endpoints, agents: 6, perAgent: 2, groupSize: 10, newGroupReplicas: 3, settleSec: 0.3,
      });
      expect(f.backend).toBe("etcd");
      expect(f.revoked).toBe(0);
      expect((await EtcdClient.fromList(etcd.endpoints).list("/")).kvs.map((kv) => kv.key)).toEqual([]);
    } finally {
      await etcd.stop();
    }
  }, 90_000);
});
