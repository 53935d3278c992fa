// An in-process test cluster: real ResMan and AppMaster shells (real LMDB in a temp dir, real HTTP on loopback)
// with simulated agents and workers. For command tests and protocol tests that need no processes.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAppMaster } from "../appmaster/start.ts";
import { writeConfigFile, type ClientConfig } from "../client/config.ts";
import { ClusterDir, type MasterHandle } from "../cluster/index.ts";
import { startResMan } from "../resman/start.ts";
import { SimAgent } from "./sim-agent.ts";

export interface TestCluster {
  dir: string;
  config: ClientConfig;
  configPath: string;
  agents: SimAgent[];
  resman: MasterHandle;
  appmaster: MasterHandle;
  /** Heartbeats and worker pulls until cond holds (deterministic rounds instead of timers). */
  settle(cond?: () => boolean | Promise<boolean>, rounds?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts something on a port the OS just called free; another process may take that port before we listen (a CI
 * host runs other clusters), so a listen that fails is tried again on another.
 */
async function onFreePort<T>(start: (port: number) => Promise<T>): Promise<{ port: number; value: T }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { port, value: await start(port) };
    } catch (e) {
      if (attempt >= 5 || (e as { code?: string }).code !== "UNAVAILABLE") throw e; // UnavailableError: cannot listen
    }
  }
}

/** agentEndpoints: real addresses for the simulated agents (e.g. of a fake agent RPC server a test runs). */
export async function startTestCluster(opts: { agents?: number; token?: string; agentEndpoints?: string[] } = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), "galaxy-tc-"));
  const clusterDir = join(dir, "cluster");
  const token = opts.token ?? "test-admin-token";
  const log = () => {};
  const { port: rp, value: resman } = await onFreePort((port) => startResMan({
    dataDir: join(dir, "resman"), clusterDir, host: "127.0.0.1", port, advertise: `127.0.0.1:${port}`, log,
    bootstrapAdminToken: token, config: { recoveryMs: 0 },
  }));
  const { port: ap, value: appmaster } = await onFreePort((port) => startAppMaster({ dataDir: join(dir, "appmaster"), clusterDir, resman: [], host: "127.0.0.1", port, advertise: `127.0.0.1:${port}`, log }));
  const cd = new ClusterDir(clusterDir);
  const agents = Array.from({ length: opts.agentEndpoints?.length ?? opts.agents ?? 2 }, (_, i) => new SimAgent({
    endpoint: opts.agentEndpoints?.[i] ?? `sim-${i}:1646`, resman: () => [`127.0.0.1:${rp}`], appmaster: () => [`127.0.0.1:${ap}`], secret: cd.secret(),
    portMin: 20000 + 1000 * i, portMax: 20999 + 1000 * i,
  }));
  const config: ClientConfig = { appmaster: [`127.0.0.1:${ap}`], resman: [`127.0.0.1:${rp}`], clusterDir, user: "admin", token };
  const configPath = join(dir, "config");
  writeConfigFile(config, configPath);
  const round = async () => {
    for (const a of agents) await a.heartbeat();
    for (const a of agents) await a.pullPlans();
  };
  // wait for both leaders
  for (let i = 0; i < 200; i++) {
    if (cd.readLeader("resman") && cd.readLeader("appmaster")) break;
    await Bun.sleep(10);
  }
  return {
    dir, config, configPath, agents, resman, appmaster,
    async settle(cond = () => true, rounds = 300) {
      for (let i = 0; i < rounds; i++) {
        try {
          await round();
          if (await cond()) return;
        } catch {
          /* a master not leader yet */
        }
        await Bun.sleep(20);
      }
      throw new Error("test cluster did not settle");
    },
    async stop() {
      await appmaster.stop();
      await resman.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
