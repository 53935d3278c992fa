// Caps reach a real agent when ResMan decides them, not at its next heartbeat: a ResMan whose agents heartbeat
// only every 60 s, one `galaxy agent`, a group created straight through ResMan's internal API; the agent holds
// the container within seconds because its parked ResMan/WatchCaps is answered right after the scheduling tick.
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { destroyAllContainers, removeGalaxyCgroupRoot } from "../../src/agent/cleanup.ts";
import { ClusterDir } from "../../src/cluster/index.ts";
import { RpcClient } from "../../src/rpc/index.ts";
import { freeAgentPorts, freePortBase, requireBinary, stopChild, waitFor, World } from "./harness.ts";

setDefaultTimeout(120_000); // e2e: every wait below has its own deadline; bun's 5 s default would cut them short

describe("caps by WatchCaps", () => {
  const w = new World();
  const procs: ChildProcess[] = [];
  let base = 0;
  let client: (addr: string) => RpcClient;

  beforeAll(async () => {
    requireBinary();
    base = await freePortBase(4);
    const ports = await freeAgentPorts(1);
    const cluster = join(w.dir, "cluster");
    procs.push(w.start("resman", ["resman", "--data-dir", join(w.dir, "resman"), "--cluster-dir", cluster, "--listen", `127.0.0.1:${base}`,
      "--heartbeat-interval", "60s", "--recovery-window", "1s"]));
    procs.push(w.start("agent", ["agent", "--data-dir", join(w.dir, "agent"), "--cluster-dir", cluster, "--listen", `127.0.0.1:${base + 1}`,
      "--cpu", "1", "--memory", "1G", "--disk", "1G", "--port-range", `${ports}-${ports + 99}`, "--namespaces", "none"]));
    const secret = new ClusterDir(cluster).secret();
    client = (addr) => new RpcClient({ addresses: [addr], credentials: { secret }, timeoutMs: 5000 });
  });

  afterAll(async () => {
    // agents keep their containers across their own restarts: take the group away first, then stop the processes
    if (client) {
      await client(`127.0.0.1:${base}`).call("ResMan/RemoveGroup", { amEpoch: 1, id: "w" }).catch(() => {});
      await waitFor("the agent to destroy its containers", async () => {
        const r = await client(`127.0.0.1:${base + 1}`).call("Agent/ListContainers", {}).catch(() => null);
        return r !== null && r.containers.length === 0;
      }, 30_000).catch((e) => console.error((e as Error).message));
    }
    for (const p of procs.reverse()) await stopChild(p, "SIGTERM", 20_000);
    // as `galaxy up` does when it stops: whatever is left of the agent's containers, and its cgroup parent
    if (base) await destroyAllContainers(join(w.dir, "agent"), `127.0.0.1:${base + 1}`);
    await removeGalaxyCgroupRoot();
    await w.cleanup();
  });

  test("a container placed by ResMan is at the agent long before the agent's next heartbeat", async () => {
    const resman = client(`127.0.0.1:${base}`);
    await waitFor("the agent registered and ResMan past recovery", async () => {
      const st = await resman.call("ResMan/Status", {}).catch(() => null);
      return st !== null && st.agentsAlive === 1 && !st.recovering;
    }, 30_000);
    // the agent's WatchCaps is parked at ResMan (an RPC in flight; agents park none while the leader recovers)
    await waitFor("the agent's watch parked at ResMan", async () => {
      const m = await (await fetch(`http://127.0.0.1:${base}/metrics`)).text();
      return Number(/galaxy_rpc_in_flight\{role="resman"\} (\d+)/.exec(m)?.[1] ?? 0) >= 1;
    }, 30_000);
    // the agent's heartbeats are 60 s apart from now on
    await resman.call("ResMan/CreateGroup", {
      amEpoch: 1,
      group: { id: "w", user: "", jobType: "batch", replica: 1, resources: { millicores: 100, memory: 64 * 2 ** 20 }, pools: ["default"], version: 1, step: 1 },
    });
    const agent = client(`127.0.0.1:${base + 1}`);
    const held = await waitFor("the agent to hold w.0", async () => {
      const r = await agent.call("Agent/ListContainers", {}).catch(() => null);
      return r?.containers.find((c) => c.containerId === "w.0") ?? null;
    }, 20_000, 100);
    expect(held.groupId).toBe("w");
    const metrics = await (await fetch(`http://127.0.0.1:${base}/metrics`)).text();
    expect(metrics).toMatch(/galaxy_rpc_requests_total\{role="resman",method="ResMan\/WatchCaps",code="OK"\} [1-9]/);
  });
});
