// AppMaster's SyncGroups after a failover carries where every pod runs: in a big cluster far over the 8 MiB every
// other call may send. A real ResMan (LMDB in a temp dir, HTTP on loopback) takes one of ~9 MiB.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterDir, type MasterHandle } from "../cluster/index.ts";
import { DEFAULT_MAX_BODY_BYTES, encode, RpcClient } from "../rpc/index.ts";
import { freePort } from "../testing/cluster.ts";
import { startResMan } from "./start.ts";

setDefaultTimeout(60_000);
let dir = "";
let rm: MasterHandle;
let client: RpcClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "galaxy-sync-"));
  const port = await freePort();
  const clusterDir = join(dir, "cluster");
  rm = await startResMan({ dataDir: join(dir, "rm"), clusterDir, host: "127.0.0.1", port, advertise: `127.0.0.1:${port}`, log: () => {}, config: { recoveryMs: 0 } });
  client = new RpcClient({ addresses: [`127.0.0.1:${port}`], credentials: { secret: new ClusterDir(clusterDir).secret() }, timeoutMs: 30_000 });
  for (let i = 0; i < 100; i++) {
    try {
      await client.call("ResMan/Status", {});
      return;
    } catch {
      await Bun.sleep(50); // not leading yet
    }
  }
});

afterAll(async () => {
  await rm.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("SyncGroups takes a body over the default limit (AppMaster's hints for ~150,000 pods); Heartbeat does not", async () => {
  const hints = Array.from({ length: 150 }, (_, g) => ({
    groupId: `service-${g}`,
    containers: Array.from({ length: 1000 }, (_, i) => ({ id: `service-${g}.${i}`, groupId: `service-${g}`, agent: `10.0.${g}.${i % 250}:1646`, ports: [{ name: "http", port: 20000 + i }] })),
  }));
  const req = { amEpoch: 1, groups: [], hints };
  expect(encode("SyncGroupsRequest", req).length).toBeGreaterThan(DEFAULT_MAX_BODY_BYTES);
  const reply = await client.call("ResMan/SyncGroups", req);
  expect(reply.epoch).toBeGreaterThan(0);
  const big = { agent: { endpoint: "a:1", labels: Array.from({ length: 400_000 }, (_, i) => `a-longer-label-${i}`) } };
  expect(encode("HeartbeatRequest", big).length).toBeGreaterThan(DEFAULT_MAX_BODY_BYTES);
  const e = await client.call("ResMan/Heartbeat", big).catch((err) => err);
  expect(e.code).toBe("TOO_LARGE");
});

test("with the secret but no AppMaster epoch, SyncGroups {} and RemoveGroup are refused and every group stays", async () => {
  const g = { id: "keep", user: "", jobType: "batch", replica: 0, resources: { millicores: 100, memory: 2 ** 26 }, pools: ["default"], version: 1, step: 1 };
  await client.call("ResMan/CreateGroup", { amEpoch: 5, group: g });
  for (const [method, req] of [["ResMan/SyncGroups", {}], ["ResMan/RemoveGroup", { id: "keep" }], ["ResMan/SyncGroups", { amEpoch: 4 }]] as const) {
    const e = await client.call(method, req as never).catch((err) => err);
    expect(e.code).toBe("STALE_EPOCH");
  }
  const groups = await client.call("ResMan/ListGroups", {});
  expect(groups.groups.map((x) => x.spec.id)).toContain("keep");
});
