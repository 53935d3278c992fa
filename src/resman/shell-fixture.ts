// A real ResMan shell (leading, epoch 1) and its RPC handlers over a given store, with user `admin` (token "tok"):
// what handler tests talk to over loopback HTTP.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterDir } from "../cluster/index.ts";
import { RpcClient, RpcServer } from "../rpc/index.ts";
import type { Store } from "../store/index.ts";
import { registerAdminHandlers } from "./admin-handlers.ts";
import { registerClusterHandlers } from "./cluster-handlers.ts";
import { registerInternalHandlers, ResManShell } from "./server.ts";

const SECRET = "0123456789abcdef0123456789abcdef";

export interface ResManFixture {
  shell: ResManShell;
  as(user: string, token: string): RpcClient;
  admin: RpcClient;
  /** With the cluster secret, as AppMaster and agents call. */
  internal: RpcClient;
  close(): Promise<void>;
}

export async function resmanFixture(store: Store): Promise<ResManFixture> {
  const dir = mkdtempSync(join(tmpdir(), "galaxy-rm-"));
  const shell = new ResManShell(store, new ClusterDir(dir), { dataDir: dir, clusterDir: dir, host: "", port: 0, advertise: "", log: () => {}, bootstrapAdminToken: "tok" });
  await shell.becomeLeader({ role: "resman", epoch: 1, isLeader: () => true, lost: () => new Promise(() => {}), release: () => {} });
  const server = new RpcServer({ role: "resman", secret: () => SECRET, authenticateUser: (u, t) => shell.authenticateUser(u, t) });
  registerInternalHandlers(server, shell);
  registerAdminHandlers(server, shell);
  registerClusterHandlers(server, shell);
  const { port } = server.listen("127.0.0.1", 0);
  const as = (user: string, token: string) => new RpcClient({ addresses: [`127.0.0.1:${port}`], credentials: { user, token } });
  return {
    shell,
    as,
    admin: as("admin", "tok"),
    internal: new RpcClient({ addresses: [`127.0.0.1:${port}`], credentials: { secret: SECRET } }),
    async close() {
      shell.stopTimers();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
