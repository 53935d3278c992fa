// A real AppMaster shell and its RPC handlers over an in-memory store, with users given by the test instead of ResMan
// (each user's grants as ResMan would answer them now) and no ResMan: what handler tests talk to over loopback HTTP.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterDir } from "../cluster/index.ts";
import type { Hint } from "../rpc/types.ts";
import { RpcClient, RpcServer, type Principal } from "../rpc/index.ts";
import { openMemoryStore, type Store } from "../store/index.ts";
import { AppMasterCore, DEFAULT_CORE_OPTIONS } from "./core.ts";
import { registerJobHandlers } from "./handlers.ts";
import { podTokenOf } from "./pod-auth.ts";
import { APPMASTER_MAX_BODY_BYTES, AppMasterShell } from "./server.ts";

export interface TestUser {
  admin?: boolean;
  grants?: Record<string, string[]>;
}

export interface ShellFixture {
  shell: AppMasterShell;
  /** Users by name (change them between calls: the next call sees the change). */
  users: Map<string, TestUser>;
  as(user: string): RpcClient;
  internal(): RpcClient;
  podToken(containerId: string): string;
  /** Gives every job's group `replica` containers on agent a:1, as a ResMan hint would. */
  place(jobId: string, replica: number): void;
  close(): Promise<void>;
}

export async function shellFixture(store: Store = openMemoryStore()): Promise<ShellFixture> {
  const dir = mkdtempSync(join(tmpdir(), "galaxy-am-"));
  const cluster = new ClusterDir(dir);
  const shell = new AppMasterShell(store, cluster, { dataDir: dir, clusterDir: dir, resman: [], host: "127.0.0.1", port: 0, advertise: "", log: () => {} });
  shell.core = new AppMasterCore(3, [], Date.now(), { ...DEFAULT_CORE_OPTIONS, warmupMs: 0 });
  shell.sendGroup = async () => {}; // ResMan accepts every group
  const users = new Map<string, TestUser>();
  const authenticateUser = async (user: string, token: string): Promise<Principal | null> => {
    const u = users.get(user);
    return u && token === `token-${user}` ? { kind: "user", user, admin: u.admin ?? false, grants: { ...u.grants } } : null;
  };
  const server = new RpcServer({ role: "appmaster", secret: () => cluster.secret(), authenticateUser, maxBodyBytes: APPMASTER_MAX_BODY_BYTES });
  registerJobHandlers(server, shell);
  const { port } = server.listen("127.0.0.1", 0);
  const client = (credentials: { user?: string; token?: string; secret?: string }) =>
    new RpcClient({ addresses: [`127.0.0.1:${port}`], credentials, timeoutMs: 10_000 });
  return {
    shell,
    users,
    as: (user) => client({ user, token: `token-${user}` }),
    internal: () => client({ secret: cluster.secret() }),
    podToken: (id) => podTokenOf(cluster.secret(), id),
    place(jobId, replica) {
      const hint: Hint = {
        groupId: jobId,
        containers: Array.from({ length: replica }, (_, i) => ({
          id: `${jobId}.${i}`, groupId: jobId, agent: "a:1", state: "running", ports: [], volumes: [], lastError: "", pid: 1, startedAt: 1,
          usage: { millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 }, exitCode: 0, message: "",
          resources: { millicores: 0, memory: 0, disk: 0, ssd: 0 }, jobType: "service", preemptedBy: "", reasons: {}, move: "", moveBlocked: "", placedAt: 0,
        })),
      };
      shell.mustCore().applyHintChanges([jobId], [], new Map([[jobId, hint]]), Date.now());
    },
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
